import type { Command } from 'commander';
import { serveCommand } from './serve.js';
import { uploadCommand } from './upload.js';

export function registerCommands(program: Command): void {
  program.addCommand(uploadCommand());
  program.addCommand(serveCommand());
}

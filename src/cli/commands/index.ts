// The list of `bulk` commands: the one place a new command is registered.
import type { Command } from 'commander';
import { completionCommand } from './completion.js';
import { deleteCommand } from './delete.js';
import { jobCommands } from './job-commands.js';
import { runCommands } from './run-commands.js';
import { serveCommand } from './serve.js';
import { resumeCommand, uploadCommand } from './upload.js';

export function registerCommands(program: Command): void {
  program.addCommand(uploadCommand());
  program.addCommand(resumeCommand());
  program.addCommand(deleteCommand());
  program.addCommand(serveCommand());
  for (const cmd of jobCommands()) program.addCommand(cmd);
  program.addCommand(runCommands());
  program.addCommand(completionCommand());
}

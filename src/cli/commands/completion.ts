// `bulk completion <shell>`: prints a bash, zsh or fish completion script built from the
// commands and flags as they are registered, so it cannot drift from them.
import { Argument, Command } from 'commander';
import { BUILTIN_RESOURCES } from '../../resources/builtin-resources.js';
import { completionScript, type CompletionSpec } from '../completion-scripts.js';
import { COMMON_ENCODINGS } from '../../input/text-codec.js';

const SHELLS = ['bash', 'zsh', 'fish'];

/**
 * Values a flag takes: its declared choices; for --resource, the resources known without a server;
 * for --encoding, the common ones.
 */
function flagValues(c: Command): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const o of c.options) {
    if (!o.long) continue;
    if (o.argChoices) values[o.long] = o.argChoices;
    else if (o.long === '--resource') values[o.long] = Object.keys(BUILTIN_RESOURCES.resources);
    else if (o.long === '--encoding') values[o.long] = [...COMMON_ENCODINGS];
  }
  return values;
}

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script')
    .addHelpText(
      'before',
      '\n' +
        'Examples:\n' +
        '  $ bulk completion bash > ~/.local/share/bash-completion/completions/bulk\n' +
        '  $ bulk completion zsh > "${fpath[1]}/_bulk"\n' +
        '  $ bulk completion fish > ~/.config/fish/completions/bulk.fish\n',
    )
    .addArgument(new Argument('<shell>').choices(SHELLS))
    .action(function (this: Command, shell: 'bash' | 'zsh' | 'fish') {
      const root = this.parent as Command;
      const spec: CompletionSpec = {
        commands: [
          ...root.commands.map((c) => ({
            name: c.name(),
            description: c.description(),
            flags: c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))).concat('--help'),
            values: flagValues(c),
            ...(c.name() === 'completion' ? { args: SHELLS } : {}),
          })),
          { name: 'help', description: 'show help for a command', flags: [], args: root.commands.map((c) => c.name()) },
        ],
      };
      process.stdout.write(completionScript(shell, spec));
    });
}

// `bulk completion <shell>`: prints a bash, zsh or fish completion script built from the
// commands and flags as they are registered, so it cannot drift from them.
import { Argument, Command } from 'commander';
import { completionScript, type CompletionSpec } from '../completion-scripts.js';

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script')
    .addHelpText('before', '\nExamples:\n  $ bulk completion bash > ~/.local/share/bash-completion/completions/bulk\n  $ bulk completion zsh > "${fpath[1]}/_bulk"\n  $ bulk completion fish > ~/.config/fish/completions/bulk.fish\n')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh', 'fish']))
    .action(function (this: Command, shell: 'bash' | 'zsh' | 'fish') {
      const root = this.parent as Command;
      const spec: CompletionSpec = {
        commands: root.commands
          .filter((c) => c.name() !== 'completion')
          .map((c) => ({
            name: c.name(),
            description: c.description(),
            flags: c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))).concat('--help'),
          })),
      };
      process.stdout.write(completionScript(shell, spec));
    });
}

/** What a shell needs to complete `bulk`: its commands, each one's flags, and the values a flag or argument takes. */
export interface CompletionSpec {
  commands: {
    name: string;
    description: string;
    flags: string[];
    values?: Record<string, string[]>;
    args?: string[];
  }[];
}

/** Shell completion scripts generated from the command tree, so they never drift from it. */
export function completionScript(shell: 'bash' | 'zsh' | 'fish', spec: CompletionSpec): string {
  if (shell === 'bash') return bashScript(spec);
  if (shell === 'zsh') return zshScript(spec);
  return fishScript(spec);
}

/** A value as one word of a completion list (`In Progress` stays one word). */
function words(values: string[], shell: 'bash' | 'zsh' | 'fish'): string {
  return values.map((v) => (!v.includes(' ') ? v : shell === 'bash' ? `'${v}'` : v.replace(/ /g, '\\ '))).join(' ');
}

function bashScript(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name).join(' ');
  const cases = spec.commands
    .map((c) => `    ${c.name}) opts="${c.flags.join(' ')}"${c.args ? `; args="${c.args.join(' ')}"` : ''} ;;`)
    .join('\n');
  const valueCases = [...new Map(spec.commands.flatMap((c) => Object.entries(c.values ?? {}))).entries()]
    .map(
      ([flag, values]) =>
        `    ${flag}) mapfile -t COMPREPLY < <(compgen -W "${words(values, 'bash')}" -- "$cur"); return ;;`,
    )
    .join('\n');
  return `# bash completion for bulk. Install: bulk completion bash > /etc/bash_completion.d/bulk
_bulk() {
  local cur prev cmd opts args
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${names} --help --version" -- "$cur") )
    return
  fi
  case "$prev" in
${valueCases}
  esac
  args=""
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [ -n "$args" ]; then
    COMPREPLY=( $(compgen -W "$args" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _bulk bulk
`;
}

function zshScript(spec: CompletionSpec): string {
  const cmds = spec.commands
    .map((c) => `    '${c.name}:${c.description.replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`)
    .join('\n');
  const flagSpec = (c: CompletionSpec['commands'][number], f: string) =>
    c.values?.[f] ? `'${f}[]:value:(${words(c.values[f], 'zsh')})'` : `'${f}[]'`;
  const rest = (c: CompletionSpec['commands'][number]) =>
    c.args ? `'*:value:(${c.args.join(' ')})'` : `'*:file:_files'`;
  const cases = spec.commands
    .map((c) => `    ${c.name}) _arguments ${c.flags.map((f) => flagSpec(c, f)).join(' ')} ${rest(c)} ;;`)
    .join('\n');
  return `#compdef bulk
# zsh completion for bulk. Install: bulk completion zsh > "\${fpath[1]}/_bulk"
_bulk() {
  local -a commands
  commands=(
${cmds}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _bulk bulk
`;
}

function fishScript(spec: CompletionSpec): string {
  const lines = [
    '# fish completion for bulk. Install: bulk completion fish > ~/.config/fish/completions/bulk.fish',
    'complete -c bulk -f',
  ];
  const all = spec.commands.map((c) => c.name).join(' ');
  for (const c of spec.commands) {
    const description = c.description.replace(/'/g, "\\'");
    lines.push(`complete -c bulk -n "not __fish_seen_subcommand_from ${all}" -a ${c.name} -d '${description}'`);
    for (const flag of c.flags) {
      if (!flag.startsWith('--')) continue;
      const values = c.values?.[flag];
      lines.push(
        `complete -c bulk -n "__fish_seen_subcommand_from ${c.name}" ` +
          `-l ${flag.slice(2)}${values ? ` -x -a '${words(values, 'fish')}'` : ''}`,
      );
    }
    if (c.args) lines.push(`complete -c bulk -n "__fish_seen_subcommand_from ${c.name}" -a '${c.args.join(' ')}'`);
    if (c.name === 'upload' || c.name === 'delete')
      lines.push(`complete -c bulk -n "__fish_seen_subcommand_from ${c.name}" -F`);
  }
  return `${lines.join('\n')}\n`;
}

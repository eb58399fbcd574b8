import type { Command } from 'commander';
import { CliError, exitCodes } from '../exit-codes.ts';
import type { Runtime } from '../runtime.ts';

/** A command's visible subcommands (commander's implicit `help` included). */
function visible(command: Command): Command[] {
  return command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
}

/** Every command path (`executions ls`) with its subcommand names and options, walked from the program. */
export function commandTree(program: Command): Array<{ path: string; words: string[] }> {
  const out: Array<{ path: string; words: string[] }> = [];
  const walk = (command: Command, prefix: string[]) => {
    const words = [
      ...visible(command).map((c) => c.name()),
      ...command.options
        .filter((o) => !o.hidden)
        .map((o) => o.long ?? o.short ?? '')
        .filter((w) => w !== ''),
      '--help',
    ];
    out.push({ path: prefix.join(' '), words });
    for (const sub of visible(command)) walk(sub, [...prefix, sub.name()]);
  };
  walk(program, []);
  return out;
}

function bash(program: Command): string {
  const cases = commandTree(program)
    .map(({ path, words }) => `    "${path}") words="${words.join(' ')}" ;;`)
    .join('\n');
  return `# baton completion for bash: source <(baton completion bash)
_baton() {
  local cur path="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) [[ -n "$path" ]] && path="$path \${COMP_WORDS[i]}" || \
path="\${COMP_WORDS[i]}" ;; esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _baton baton
`;
}

function zsh(program: Command): string {
  return `#compdef baton
# baton completion for zsh: source <(baton completion zsh)
${bash(program)
  .split('\n')
  .filter((line) => !line.startsWith('#'))
  .join('\n')}`.replace(
    'complete -o default -F _baton baton',
    'autoload -U +X bashcompinit && bashcompinit\ncomplete -o default -F _baton baton',
  );
}

function fish(program: Command): string {
  const lines = ['# baton completion for fish: baton completion fish | source', 'complete -c baton -f'];
  for (const { path, words } of commandTree(program)) {
    const depth = path === '' ? 0 : path.split(' ').length;
    const condition =
      depth === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${path.split(' ').at(-1) ?? ''}`;
    for (const word of words) {
      if (word.startsWith('--')) lines.push(`complete -c baton -n '${condition}' -l ${word.slice(2)}`);
      else lines.push(`complete -c baton -n '${condition}' -a ${word}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `baton completion bash|zsh|fish`: a completion script generated from the command tree. */
export function registerCompletion(program: Command, runtime: Runtime): void {
  program
    .command('completion <shell>')
    .description('Print a shell completion script: bash, zsh or fish (e.g. `source <(baton completion bash)`)')
    .action((shell: string) => {
      const make = { bash, zsh, fish }[shell as 'bash' | 'zsh' | 'fish'];
      if (make === undefined) throw new CliError(`No completion for "${shell}": bash, zsh or fish`, exitCodes.usage);
      runtime.io.stdout.write(make(program));
    });
}

# dfs completion for bash. Load it with:  source <(dfs completion bash)
# or save it:  dfs completion bash > ~/.local/share/bash-completion/completions/dfs
_dfs_complete() {
  local cur prev cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="put get rm ls stat members health completion help"
  local globals="--node --token --json --quiet --help --version"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      --node | --token) ((i++)) ;;
      -*) ;;
      *) cmd="${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    --node | --token | --limit | -w | --wait) return 0 ;;
  esac
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
    return 0
  fi
  local flags=""
  case "$cmd" in
    put) flags="-r --recursive -w --wait" ;;
    get) flags="-f --force" ;;
    ls) flags="--limit --names" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags $globals" -- "$cur"))
    return 0
  fi
  case "$cmd" in
    put) COMPREPLY=($(compgen -f -- "$cur")) ;;
    get | rm | stat | ls)
      local IFS=$'\n'
      COMPREPLY=($(compgen -W "$(dfs ls --names -- "$cur" 2>/dev/null)" -- "$cur"))
      ;;
    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
  esac
}
complete -o default -F _dfs_complete dfs

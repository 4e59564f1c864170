# dfs completion for bash. Load it with:  source <(dfs completion bash)
# or save it:  dfs completion bash > ~/.local/share/bash-completion/completions/dfs
_dfs_complete() {
  local cur prev cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="put get rm ls sync stat members status node health completion help"
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
    --node | --token | --limit | -w | --wait | -t | --transfers) return 0 ;;
  esac
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
    return 0
  fi
  local flags=""
  case "$cmd" in
    put) flags="-r --recursive -f --force -w --wait -t --transfers" ;;
    get) flags="-r --recursive -f --force -t --transfers" ;;
    rm) flags="-r --recursive -y --yes -t --transfers" ;;
    ls) flags="-r --recursive --limit --names" ;;
    sync) flags="--delete -n --dry-run -t --transfers" ;;
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
      # A folder completes without a trailing space, so the next level can follow.
      [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == */ ]] && compopt -o nospace
      ;;
    sync)
      if [[ "$cur" == dfs:* ]]; then
        local IFS=$'\n'
        COMPREPLY=($(dfs ls --names -- "${cur#dfs:}" 2>/dev/null | grep '/$' | sed 's/^/dfs:/'))
        compopt -o nospace
      else
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -W "dfs:" -- "$cur"))
      fi
      ;;
    node) COMPREPLY=($(compgen -W "drain remove" -- "$cur")) ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
  esac
}
complete -o default -F _dfs_complete dfs

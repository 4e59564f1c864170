# dfs completion for fish. Load it with:  dfs completion fish | source
# or save it:  dfs completion fish > ~/.config/fish/completions/dfs.fish
function __dfs_names
    dfs ls --names -- (commandline -ct) 2>/dev/null
end
set -l commands put get rm ls sync stat members status node health completion help
complete -c dfs -f
complete -c dfs -n "not __fish_seen_subcommand_from $commands" -a "$commands"
complete -c dfs -l node -r -d 'node address, host:port (comma-separated list allowed)'
complete -c dfs -l token -r -d 'API token'
complete -c dfs -l json -d 'machine-readable output'
complete -c dfs -s q -l quiet -d 'no progress bars or notes'
complete -c dfs -s h -l help -d 'show help'
complete -c dfs -s V -l version -d 'show the version'
complete -c dfs -n '__fish_seen_subcommand_from put get rm sync' -s t -l transfers -r -d 'files moved in parallel'
complete -c dfs -n '__fish_seen_subcommand_from put get rm ls' -s r -l recursive -d 'a whole tree or folder'
complete -c dfs -n '__fish_seen_subcommand_from put' -F
complete -c dfs -n '__fish_seen_subcommand_from put' -s f -l force -d 'with -r, upload unchanged files too'
complete -c dfs -n '__fish_seen_subcommand_from put' -s w -l wait -r -d 'wait until N nodes hold each file'
complete -c dfs -n '__fish_seen_subcommand_from get' -s f -l force -d 'overwrite existing files'
complete -c dfs -n '__fish_seen_subcommand_from get rm stat ls' -a '(__dfs_names)'
complete -c dfs -n '__fish_seen_subcommand_from get' -F
complete -c dfs -n '__fish_seen_subcommand_from rm' -s y -l yes -d 'do not ask'
complete -c dfs -n '__fish_seen_subcommand_from ls' -l limit -r -d 'show at most N entries'
complete -c dfs -n '__fish_seen_subcommand_from ls' -l names -d 'names only'
complete -c dfs -n '__fish_seen_subcommand_from sync' -F
complete -c dfs -n '__fish_seen_subcommand_from sync' -l delete -d 'delete what only the target has'
complete -c dfs -n '__fish_seen_subcommand_from sync' -s n -l dry-run -d 'print the plan only'
complete -c dfs -n '__fish_seen_subcommand_from node' -a 'drain remove'
complete -c dfs -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'

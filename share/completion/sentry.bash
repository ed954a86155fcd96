# bash completion for sentry. The candidates come from the sentry itself
# (`sentry __complete CWORD WORDS...`: its commands, each command's options
# from its own table, option values, inspect's questions, the last run's
# pids, lesson names), so they cannot drift from what it accepts.
_sentry() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\n'
  local -a out
  out=($("${COMP_WORDS[0]}" __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
  case ${out[0]} in
    @files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    @dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    @commands) COMPREPLY=($(compgen -c -- "$cur")) ;;
    *) COMPREPLY=("${out[@]}") ;;
  esac
}
complete -F _sentry sentry

# Lesson dispositions, the shell version: a background job of a
# non-interactive shell ignores SIGINT, so Ctrl-C (or kill -INT) spares it.
dir=$(mktemp -d)
mkfifo "$dir/ready"
# The job says it has started (its dispositions are set by then), then
# becomes a sleep.
{ echo started > "$dir/ready"; exec sleep 30; } &
read -r _ < "$dir/ready"
kill -INT $!   # ignored
kill -TERM $!  # ends it
wait $!
echo "the job ended with status $? (128 + 15: killed by SIGTERM)"
rm -r "$dir"

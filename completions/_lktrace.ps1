
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'lktrace' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'lktrace'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'lktrace' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('funccount', 'funccount', [CompletionResultType]::ParameterValue, 'Count kernel function calls (perf-tools funccount)')
            [CompletionResult]::new('kprobe', 'kprobe', [CompletionResultType]::ParameterValue, 'Trace a kernel function with a kprobe (perf-tools kprobe)')
            [CompletionResult]::new('tpoint', 'tpoint', [CompletionResultType]::ParameterValue, 'Trace a tracepoint''s events (perf-tools tpoint)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List traceable kernel functions, tracepoints and kprobe-able symbols')
            [CompletionResult]::new('uprobe', 'uprobe', [CompletionResultType]::ParameterValue, 'Trace a user-space function with a uprobe (perf-tools uprobe)')
            [CompletionResult]::new('stackcount', 'stackcount', [CompletionResultType]::ParameterValue, 'Count the kernel stacks that call a function (bcc stackcount)')
            [CompletionResult]::new('funclatency', 'funclatency', [CompletionResultType]::ParameterValue, 'Time kernel functions: a latency histogram (bcc funclatency)')
            [CompletionResult]::new('functrace', 'functrace', [CompletionResultType]::ParameterValue, 'Trace kernel function calls (perf-tools functrace)')
            [CompletionResult]::new('syscount', 'syscount', [CompletionResultType]::ParameterValue, 'Count system calls, in the kernel (perf-tools syscount)')
            [CompletionResult]::new('funcgraph', 'funcgraph', [CompletionResultType]::ParameterValue, 'Trace kernel function graphs, showing child function calls (perf-tools funcgraph)')
            [CompletionResult]::new('funcslower', 'funcslower', [CompletionResultType]::ParameterValue, 'Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)')
            [CompletionResult]::new('ctl', 'ctl', [CompletionResultType]::ParameterValue, 'Inspect and clean tracefs')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse saved ftrace text (trace or trace_pipe format) into records')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Serve --remote clients: tools run here for holders of the key (UDP, port 34023)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell''s completion script (bash, zsh, fish, ...)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;funccount' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print a table every SECS seconds')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds, then print')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show only the top N functions')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Where to count (default: the best this kernel has)')
            [CompletionResult]::new('--max-probes', '--max-probes', [CompletionResultType]::ParameterName, 'Most kprobes the kprobe-profile backend may create')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Only this process (its threads now), counted by the hist backend')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Print a timestamp with each table (-T)')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'A count per process as well (COMM-PID FUNC)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The pattern is a regular expression over function names')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;kprobe' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace every thread of this process')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace this thread only')
            [CompletionResult]::new('--reader', '--reader', [CompletionResultType]::ParameterName, 'How to read events: the binary ring buffer (raw, where the kernel allows and its text can be reproduced), the kernel''s text (text), or the default (auto: text for now)')
            [CompletionResult]::new('--hist', '--hist', [CompletionResultType]::ParameterName, 'Print a log2 histogram of this field of the probe (e.g. a size argument, or $retval fetched as ret=$retval), counted in the kernel, instead of each event')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Print how often each value of this field occurred, counted in the kernel, instead of each event')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Skip the available_filter_functions check')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print column headers')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Print a kernel stack trace after each event')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the event''s format and exit')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;tpoint' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace every thread of this process')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace this thread only')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'List tracepoints (all, or those matching the glob given in place of TRACEPOINT)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print column headers')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Print a kernel stack trace after each event')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the tracepoint''s format and exit')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;list' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'A user-space file''s functions (uprobe): a path, a program in PATH, a library (libc)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'A user-space file''s functions (uprobe): a path, a program in PATH, a library (libc)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Functions the function tracer can trace (funccount, functrace, funcgraph)')
            [CompletionResult]::new('--functions', '--functions', [CompletionResultType]::ParameterName, 'Functions the function tracer can trace (funccount, functrace, funcgraph)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Tracepoints (tpoint)')
            [CompletionResult]::new('--tracepoints', '--tracepoints', [CompletionResultType]::ParameterName, 'Tracepoints (tpoint)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Kernel symbols a kprobe can be put on (kprobe)')
            [CompletionResult]::new('--kprobes', '--kprobes', [CompletionResultType]::ParameterName, 'Kernel symbols a kprobe can be put on (kprobe)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;uprobe' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'List the functions of TARGET (a program, a library or a path) where uprobes can go')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace every thread of this process')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace this thread only')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Force: take a file of another architecture, an address outside code')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print column headers')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Print a user stack trace after each event')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the event''s format and exit')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;stackcount' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Only the threads of this process')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Only this thread')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds, then print')
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Also write a flame graph of the stacks to FILE (SVG)')
            [CompletionResult]::new('--max-probes', '--max-probes', [CompletionResultType]::ParameterName, 'Most kprobes the run may create (one per matched function)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--folded', '--folded', [CompletionResultType]::ParameterName, 'Print folded stacks (outermost first, `;`-joined, then the count): flame graph input')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;funclatency' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Only this process (its threads now)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print a histogram every SECS seconds')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds, then print')
            [CompletionResult]::new('--max-probes', '--max-probes', [CompletionResultType]::ParameterName, 'Most kprobes the run may create (two per matched function)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Print the time of day above each histogram')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Microseconds (default: nanoseconds)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Milliseconds (default: nanoseconds)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'One histogram per function')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;functrace' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace the threads of this process')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace this thread only')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print column headers')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;syscount' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace this PID only (its threads and children too)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Duration of the trace, in seconds')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show the top NUM rows only')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Show counts by syscall name')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Verbose: show the PID')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;funcgraph' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Max stack depth to show')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace when this pid is on-CPU')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace when this thread is on-CPU')
            [CompletionResult]::new('--min-us', '--min-us', [CompletionResultType]::ParameterName, 'Show only calls that took at least US microseconds (tracing_thresh)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All info (same as -HPt)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Measure on-CPU time only')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Do not show function duration')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Include column headers')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Show process names & PIDs')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Comment function tails')
            [CompletionResult]::new('--no-irqs', '--no-irqs', [CompletionResultType]::ParameterName, 'Leave out interrupts taken during a traced call (funcgraph-irqs off)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;funcslower' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace when this pid is on-CPU')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace when this thread is on-CPU')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All info (same as -HPt)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Measure on-CPU time only')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Include column headers')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Show process names & PIDs')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;ctl' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tracers, enabled events, dynamic events and instances, and who owns them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Which tools and backends this kernel can run, and why not')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove what dead lktrace runs left behind')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Round-trip time, version and kernel of agents (needs --remote)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Write a new random key for agent and clients (mode 0600; never overwrites)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;ctl;status' {
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;check' {
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;reset' {
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Reset all of ftrace, like perf-tools'' reset-ftrace')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;ping' {
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The key shared with the agent(s) (default: the config''s key_file, then ~/.config/lktrace/key)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;keygen' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tracers, enabled events, dynamic events and instances, and who owns them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Which tools and backends this kernel can run, and why not')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove what dead lktrace runs left behind')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Round-trip time, version and kernel of agents (needs --remote)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Write a new random key for agent and clients (mode 0600; never overwrites)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;ctl;help;status' {
            break
        }
        'lktrace;ctl;help;check' {
            break
        }
        'lktrace;ctl;help;reset' {
            break
        }
        'lktrace;ctl;help;ping' {
            break
        }
        'lktrace;ctl;help;keygen' {
            break
        }
        'lktrace;ctl;help;help' {
            break
        }
        'lktrace;parse' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;agent' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on; 127.0.0.1 unless you say otherwise (e.g. 0.0.0.0:34023, [::]:34023)')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'The pre-shared key (from `lktrace ctl keygen`); must not be readable by group or others')
            [CompletionResult]::new('--max-runs', '--max-runs', [CompletionResultType]::ParameterName, 'Most runs at once, over all clients')
            [CompletionResult]::new('--lease-secs', '--lease-secs', [CompletionResultType]::ParameterName, 'Seconds without a heartbeat after which a client''s run is stopped and cleaned up')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Settings file (default: /etc/lktrace/agent.toml when it exists); flags given here win')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print on stderr every tracefs read and write made, with its time, and each phase''s time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;completions' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type"); the same as --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;help' {
            [CompletionResult]::new('funccount', 'funccount', [CompletionResultType]::ParameterValue, 'Count kernel function calls (perf-tools funccount)')
            [CompletionResult]::new('kprobe', 'kprobe', [CompletionResultType]::ParameterValue, 'Trace a kernel function with a kprobe (perf-tools kprobe)')
            [CompletionResult]::new('tpoint', 'tpoint', [CompletionResultType]::ParameterValue, 'Trace a tracepoint''s events (perf-tools tpoint)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List traceable kernel functions, tracepoints and kprobe-able symbols')
            [CompletionResult]::new('uprobe', 'uprobe', [CompletionResultType]::ParameterValue, 'Trace a user-space function with a uprobe (perf-tools uprobe)')
            [CompletionResult]::new('stackcount', 'stackcount', [CompletionResultType]::ParameterValue, 'Count the kernel stacks that call a function (bcc stackcount)')
            [CompletionResult]::new('funclatency', 'funclatency', [CompletionResultType]::ParameterValue, 'Time kernel functions: a latency histogram (bcc funclatency)')
            [CompletionResult]::new('functrace', 'functrace', [CompletionResultType]::ParameterValue, 'Trace kernel function calls (perf-tools functrace)')
            [CompletionResult]::new('syscount', 'syscount', [CompletionResultType]::ParameterValue, 'Count system calls, in the kernel (perf-tools syscount)')
            [CompletionResult]::new('funcgraph', 'funcgraph', [CompletionResultType]::ParameterValue, 'Trace kernel function graphs, showing child function calls (perf-tools funcgraph)')
            [CompletionResult]::new('funcslower', 'funcslower', [CompletionResultType]::ParameterValue, 'Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)')
            [CompletionResult]::new('ctl', 'ctl', [CompletionResultType]::ParameterValue, 'Inspect and clean tracefs')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse saved ftrace text (trace or trace_pipe format) into records')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Serve --remote clients: tools run here for holders of the key (UDP, port 34023)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell''s completion script (bash, zsh, fish, ...)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;help;funccount' {
            break
        }
        'lktrace;help;kprobe' {
            break
        }
        'lktrace;help;tpoint' {
            break
        }
        'lktrace;help;list' {
            break
        }
        'lktrace;help;uprobe' {
            break
        }
        'lktrace;help;stackcount' {
            break
        }
        'lktrace;help;funclatency' {
            break
        }
        'lktrace;help;functrace' {
            break
        }
        'lktrace;help;syscount' {
            break
        }
        'lktrace;help;funcgraph' {
            break
        }
        'lktrace;help;funcslower' {
            break
        }
        'lktrace;help;ctl' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tracers, enabled events, dynamic events and instances, and who owns them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Which tools and backends this kernel can run, and why not')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove what dead lktrace runs left behind')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Round-trip time, version and kernel of agents (needs --remote)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Write a new random key for agent and clients (mode 0600; never overwrites)')
            break
        }
        'lktrace;help;ctl;status' {
            break
        }
        'lktrace;help;ctl;check' {
            break
        }
        'lktrace;help;ctl;reset' {
            break
        }
        'lktrace;help;ctl;ping' {
            break
        }
        'lktrace;help;ctl;keygen' {
            break
        }
        'lktrace;help;parse' {
            break
        }
        'lktrace;help;agent' {
            break
        }
        'lktrace;help;completions' {
            break
        }
        'lktrace;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}


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
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('funccount', 'funccount', [CompletionResultType]::ParameterValue, 'Count kernel function calls (perf-tools funccount)')
            [CompletionResult]::new('kprobe', 'kprobe', [CompletionResultType]::ParameterValue, 'Trace a kernel function with a kprobe (perf-tools kprobe)')
            [CompletionResult]::new('ctl', 'ctl', [CompletionResultType]::ParameterValue, 'Inspect and clean tracefs')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse saved ftrace text (trace or trace_pipe format) into records')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;funccount' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print a table every SECS seconds')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds, then print')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show only the top N functions')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Where to count (default: the best this kernel has)')
            [CompletionResult]::new('--max-probes', '--max-probes', [CompletionResultType]::ParameterName, 'Most kprobes the kprobe-profile backend may create')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Print a timestamp with each table (-T)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'lktrace;kprobe' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Trace for SECS seconds (buffered), then print')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Trace every thread of this process')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Trace this thread only')
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Skip the available_filter_functions check')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print column headers')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Print a kernel stack trace after each event')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the event''s format and exit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl' {
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tracers, enabled events, dynamic events and instances, and who owns them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Which tools and backends this kernel can run, and why not')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove what dead lktrace runs left behind')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;ctl;status' {
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;check' {
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;reset' {
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Reset all of ftrace, like perf-tools'' reset-ftrace')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;ctl;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tracers, enabled events, dynamic events and instances, and who owns them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Which tools and backends this kernel can run, and why not')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove what dead lktrace runs left behind')
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
        'lktrace;ctl;help;help' {
            break
        }
        'lktrace;parse' {
            [CompletionResult]::new('--tracefs', '--tracefs', [CompletionResultType]::ParameterName, 'Use this tracefs directory instead of finding it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines (one object per line, each with a "type")')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'lktrace;help' {
            [CompletionResult]::new('funccount', 'funccount', [CompletionResultType]::ParameterValue, 'Count kernel function calls (perf-tools funccount)')
            [CompletionResult]::new('kprobe', 'kprobe', [CompletionResultType]::ParameterValue, 'Trace a kernel function with a kprobe (perf-tools kprobe)')
            [CompletionResult]::new('ctl', 'ctl', [CompletionResultType]::ParameterValue, 'Inspect and clean tracefs')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Parse saved ftrace text (trace or trace_pipe format) into records')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'lktrace;help;funccount' {
            break
        }
        'lktrace;help;kprobe' {
            break
        }
        'lktrace;help;ctl' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tracers, enabled events, dynamic events and instances, and who owns them')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Which tools and backends this kernel can run, and why not')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove what dead lktrace runs left behind')
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
        'lktrace;help;parse' {
            break
        }
        'lktrace;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

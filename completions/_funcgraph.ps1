
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'funcgraph' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'funcgraph'
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
        'funcgraph' {
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}


using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kprobe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kprobe'
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
        'kprobe' {
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

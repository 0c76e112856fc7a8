use super::*;

fn cmd() -> Command {
    crate::cli::command()
}

fn pages() -> Vec<(String, String)> {
    man_pages(cmd())
        .into_iter()
        .map(|(n, t)| (n, String::from_utf8(t).expect("pages are UTF-8")))
        .collect()
}

fn get<'a>(pages: &'a [(String, String)], name: &str) -> &'a str {
    &pages
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no page {name}"))
        .1
}

/// The `.SH` titles of a page, in order.
fn sections(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|t| t.trim_matches('"'))
        .collect()
}

#[test]
fn one_page_per_command_and_standalone_tool() {
    let names: Vec<String> = pages().into_iter().map(|(n, _)| n).collect();
    for want in [
        "lktrace.1",
        "lktrace-funccount.8",
        "lktrace-kprobe.8",
        "lktrace-ctl.1",
        "lktrace-ctl-status.1",
        "funccount.8",
        "kprobe.8",
        "tpoint.8",
        "lktrace-tpoint.8",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
}

#[test]
fn standalone_page_names_the_binary_and_keeps_global_flags() {
    let pages = pages();
    let text = get(&pages, "funccount.8");
    assert!(text.contains("\n.TH funccount 8 "), "{text}");
    assert!(text.contains("\n.SY funccount\n"), "{text}");
    assert!(text.contains("json"), "global --json documented: {text}");
}

#[test]
fn synopsis_names_every_argument() {
    let pages = pages();
    let text = get(&pages, "kprobe.8");
    let syn = &text[text.find(".SH SYNOPSIS").unwrap()..text.find(".SH DESCRIPTION").unwrap()];
    for want in [
        "[\\fB-d\\fR \\fISECS\\fR]",
        "[\\fB-p\\fR \\fIPID\\fR]",
        "[\\fB--reader\\fR \\fIREADER\\fR]",
        "[\\fB-H\\fR]",
        "\\fIDEFINITION\\fR...",
    ] {
        assert!(syn.contains(want), "{want} not in {syn}");
    }
    assert!(!syn.contains(" ]"), "an argument without its name: {syn}");
    let top = get(&pages, "lktrace.1");
    assert!(top.contains("\\fICOMMAND\\fR\n.YS"), "{top}");
}

#[test]
fn a_tool_page_has_every_section_in_order() {
    let pages = pages();
    for page in ["tpoint.8", "lktrace-funccount.8", "kprobe.8"] {
        let text = get(&pages, page);
        let got = sections(text);
        let order = [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "REQUIREMENTS",
            "OPTIONS",
            "FIELDS",
            "OVERHEAD",
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SEE ALSO",
        ];
        let at: Vec<usize> = order
            .iter()
            .map(|s| {
                got.iter()
                    .position(|g| g == s)
                    .unwrap_or_else(|| panic!("{page} has no {s}: {got:?}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{page}: {got:?}");
        // The eg lines of -h open EXAMPLES; clap's EXTRA section is not used.
        assert!(!got.contains(&"EXTRA"), "{page}: {got:?}");
        let ex = &text[text.find(".SH EXAMPLES").unwrap()..];
        assert!(ex.starts_with(".SH EXAMPLES\n.nf\neg,\n"), "{page}: {ex}");
    }
    let top = get(&pages, "lktrace.1");
    assert!(sections(top).contains(&"EXIT STATUS"), "{top}");
    assert!(!top.contains("\n.SH SEE ALSO\nlktrace(1)"), "{top}");
}

#[test]
fn a_section_8_tool_is_referred_to_in_section_8() {
    let pages = pages();
    let top = get(&pages, "lktrace.1");
    assert!(
        top.contains("lktrace\\-tpoint(8)") && top.contains("lktrace\\-parse(1)"),
        "{top}"
    );
    assert!(get(&pages, "funccount.8").contains("lktrace-kprobe(8)"));
}

#[test]
fn examples_come_from_the_file_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kprobe_example.txt"),
        ".dot line\n# kprobe \\x\n",
    )
    .unwrap();
    let pages = man_pages_with_examples(cmd(), dir.path());
    let (_, text) = pages.iter().find(|(n, _)| n == "kprobe.8").unwrap();
    let text = String::from_utf8_lossy(text);
    let ex = text.find(".PP\n.nf\n\\&.dot line\n# kprobe \\ex\n.fi\n");
    let (ex, v) = (ex.expect("examples"), text.find(".SH VERSION").unwrap());
    assert!(ex < v);
    // Without a file, the eg lines alone.
    let (_, other) = pages.iter().find(|(n, _)| n == "funccount.8").unwrap();
    let other = String::from_utf8_lossy(other);
    assert!(other.contains(".SH EXAMPLES\n.nf\neg,\n"), "{other}");
    assert!(!other.contains(".PP\n.nf\n"), "{other}");
}

#[test]
fn prose_is_one_paragraph_per_blank_line_with_single_spaces() {
    let s = prose_section("T", "a  b\n   c\n\n.d");
    assert_eq!(s, ".SH T\na b c\n.PP\n\\&.d\n");
}

#[test]
fn pages_say_nothing_of_this_repository() {
    for (name, text) in pages() {
        for word in [
            "tests/",
            "src/",
            "vm_tools",
            "cargo bench",
            "cargo test",
            "[`",
        ] {
            assert!(!text.contains(word), "{name} mentions {word:?}");
        }
    }
}

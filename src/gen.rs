//! Man pages and shell completions, generated from the clap command tree.
//!
//! Generated into memory so that one test (`tests/generated.rs`) can both check the committed
//! files under `man/` and `completions/` and rewrite them: the CLI grows, and regenerating must
//! stay a single command (`LKTRACE_REGENERATE=1 cargo test --test generated`).

use std::path::Path;

use clap::Command;
use clap_complete::Shell;

/// Tools that also ship as a binary of their own (`src/bin/`), perf-tools style: from the list
/// of tools.
pub fn standalone() -> Vec<&'static str> {
    crate::tools::TOOLS
        .iter()
        .filter(|t| t.standalone())
        .map(|t| t.name())
        .collect()
}

/// The shells completions are generated for, with their file under `completions/`.
pub const SHELLS: &[(Shell, &str)] = &[
    (Shell::Bash, "lktrace.bash"),
    (Shell::Zsh, "lktrace.zsh"),
    (Shell::Fish, "lktrace.fish"),
    (Shell::PowerShell, "_lktrace.ps1"),
];

/// Every man page: `lktrace.1`, `lktrace-<sub>.1` for each subcommand (nested ones too, as
/// `lktrace-ctl-status.1`), and `funccount.8`, `kprobe.8` for the standalone binaries. Pages
/// get an EXAMPLES section from `examples/<tool>_example.txt` of this source tree when present.
pub fn man_pages(cmd: Command) -> Vec<(String, Vec<u8>)> {
    man_pages_with_examples(cmd, &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
}

/// [`man_pages`] with the examples read from `examples_dir`.
pub fn man_pages_with_examples(cmd: Command, examples_dir: &Path) -> Vec<(String, Vec<u8>)> {
    // Building propagates the global flags (--json, --tracefs) into every subcommand and names
    // subcommands `lktrace-funccount` for display; no `help` subcommand gets a page.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let source = format!(
        "{} {}",
        cmd.get_name(),
        cmd.get_version().unwrap_or_default()
    );
    let root = cmd.get_name().to_string();

    let mut pages = Vec::new();
    collect(&cmd, &root, 0, &source, examples_dir, &mut pages);

    for tool in standalone() {
        if let Some(mut own) = crate::cli::standalone_command(tool) {
            own.build();
            pages.push(page(own, tool, &source, examples_dir));
        }
    }
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    pages
}

/// Pages of `cmd` and its visible subcommands, depth first. `tool` names the example file:
/// `funccount` for `lktrace funccount`, `ctl-status` for `lktrace ctl status`.
fn collect(
    cmd: &Command,
    tool: &str,
    depth: usize,
    source: &str,
    dir: &Path,
    pages: &mut Vec<(String, Vec<u8>)>,
) {
    pages.push(page(cmd.clone(), tool, source, dir));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_tool = if depth == 0 {
            sub.get_name().to_string()
        } else {
            format!("{tool}-{}", sub.get_name())
        };
        collect(sub, &sub_tool, depth + 1, source, dir, pages);
    }
}

/// One page, with its tool's extra sections (REQUIREMENTS, OVERHEAD) and
/// `examples/<tool>_example.txt` as its EXAMPLES section when that file exists, in its tool's
/// man section.
fn page(cmd: Command, tool: &str, source: &str, examples_dir: &Path) -> (String, Vec<u8>) {
    let entry = crate::tools::find(tool);
    let section = entry.map_or("1", |e| e.man_section());
    let man = clap_mangen::Man::new(cmd).source(source).section(section);
    let name = man.get_filename();
    let mut roff = Vec::new();
    man.render(&mut roff)
        .expect("rendering into memory cannot fail");
    // clap_mangen names subcommands' pages in this page's section: a tool with a page in
    // another section is referred to there.
    let mut text = String::from_utf8_lossy(&roff).into_owned();
    for t in crate::tools::TOOLS
        .iter()
        .filter(|t| t.man_section() != section)
    {
        let name = t.name().replace('-', "\\-");
        text = text.replace(
            &format!("\\-{name}({section})"),
            &format!("\\-{name}({})", t.man_section()),
        );
    }
    roff = text.into_bytes();
    for (title, text) in entry.map_or(&[][..], |e| e.man_extra()) {
        roff = before_version(roff, &prose_section(title, text));
    }
    let examples = std::fs::read_to_string(examples_dir.join(format!("{tool}_example.txt"))).ok();
    if let Some(text) = examples {
        roff = with_examples(roff, &text);
    }
    (name, roff)
}

/// `.SH TITLE` with paragraphs of text (blank lines between them).
fn prose_section(title: &str, text: &str) -> String {
    let mut section = format!(".SH {title}\n");
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            section.push_str(".PP\n");
        }
        for line in para.lines() {
            section.push_str(&roff_literal(line.trim_start()));
            section.push('\n');
        }
    }
    section
}

/// Puts an EXAMPLES section before VERSION (where man-pages(7) orders it), or at the end.
fn with_examples(roff: Vec<u8>, examples: &str) -> Vec<u8> {
    let mut section = String::from(".SH EXAMPLES\n.nf\n");
    for line in examples.lines() {
        section.push_str(&roff_literal(line));
        section.push('\n');
    }
    section.push_str(".fi\n");
    before_version(roff, &section)
}

/// Puts a section before VERSION, or at the end.
fn before_version(roff: Vec<u8>, section: &str) -> Vec<u8> {
    let page = String::from_utf8_lossy(&roff).into_owned();
    let out = match page.find("\n.SH VERSION") {
        Some(i) => format!("{}\n{}{}", &page[..i], section, &page[i + 1..]),
        None => format!("{page}{section}"),
    };
    out.into_bytes()
}

/// A line of text that roff prints as is inside `.nf`.
fn roff_literal(line: &str) -> String {
    // A backslash starts an escape; a leading `.` or `'` would be a request. `\&` is a
    // zero-width character that keeps the line text.
    let escaped = line.replace('\\', "\\e");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The completion script of `shell` for the `lktrace` binary.
pub fn completions(cmd: Command, shell: Shell) -> Vec<u8> {
    let mut cmd = cmd;
    let bin = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, bin, &mut out);
    out
}

/// The completion script of `shell` for the standalone binary `tool` (`funccount`): its own
/// command, as the binary parses it. `None` for a name that is no standalone binary.
pub fn standalone_completions(tool: &str, shell: Shell) -> Option<Vec<u8>> {
    let mut own = crate::cli::standalone_command(tool)?;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut own, tool, &mut out);
    Some(out)
}

/// The file under `completions/` of `shell` for binary `bin`.
pub fn completion_file(shell: Shell, bin: &str) -> String {
    match shell {
        Shell::Bash => format!("{bin}.bash"),
        Shell::Zsh => format!("{bin}.zsh"),
        Shell::Fish => format!("{bin}.fish"),
        Shell::PowerShell => format!("_{bin}.ps1"),
        Shell::Elvish => format!("{bin}.elv"),
        _ => format!("{bin}.{shell}"),
    }
}

/// Every generated file with its path relative to the source tree: `man/*.1`, `man/*.8` and
/// `completions/*`.
pub fn all(cmd: Command) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = man_pages(cmd.clone())
        .into_iter()
        .map(|(name, text)| (format!("man/{name}"), text))
        .collect();
    for (shell, name) in SHELLS {
        files.push((
            format!("completions/{name}"),
            completions(cmd.clone(), *shell),
        ));
        for tool in standalone() {
            if let Some(text) = standalone_completions(tool, *shell) {
                files.push((
                    format!("completions/{}", completion_file(*shell, tool)),
                    text,
                ));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> Command {
        crate::cli::command()
    }

    #[test]
    fn one_page_per_command_and_standalone_tool() {
        let names: Vec<String> = man_pages(cmd()).into_iter().map(|(n, _)| n).collect();
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
        let pages = man_pages(cmd());
        let (_, text) = pages.iter().find(|(n, _)| n == "funccount.8").unwrap();
        let text = String::from_utf8_lossy(text);
        assert!(text.contains("\n.TH funccount 8 "), "{text}");
        assert!(text.contains("json"), "global --json documented: {text}");
    }

    #[test]
    fn examples_go_before_version() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kprobe_example.txt"),
            ".dot line\n# kprobe \\x\n",
        )
        .unwrap();
        let pages = man_pages_with_examples(cmd(), dir.path());
        let (_, text) = pages.iter().find(|(n, _)| n == "kprobe.8").unwrap();
        let text = String::from_utf8_lossy(text);
        let ex = text
            .find(".SH EXAMPLES\n.nf\n\\&.dot line\n# kprobe \\ex\n.fi\n")
            .expect("examples");
        if let Some(v) = text.find(".SH VERSION") {
            assert!(ex < v);
        }
        let (_, other) = pages.iter().find(|(n, _)| n == "funccount.8").unwrap();
        assert!(!String::from_utf8_lossy(other).contains("EXAMPLES"));
    }

    #[test]
    fn a_section_8_page_has_its_extra_sections_and_is_named_so() {
        let pages = man_pages(cmd());
        let (_, text) = pages.iter().find(|(n, _)| n == "tpoint.8").unwrap();
        let text = String::from_utf8_lossy(text);
        assert!(text.contains("\n.TH tpoint 8 "), "{text}");
        let req = text.find(".SH REQUIREMENTS").expect("REQUIREMENTS");
        let over = text.find(".SH OVERHEAD").expect("OVERHEAD");
        let ex = text.find(".SH EXAMPLES").expect("EXAMPLES");
        assert!(req < over && over < ex, "{text}");
        let (_, top) = pages.iter().find(|(n, _)| n == "lktrace.1").unwrap();
        let top = String::from_utf8_lossy(top);
        assert!(
            top.contains("lktrace\\-tpoint(8)") && top.contains("lktrace\\-parse(1)"),
            "{top}"
        );
    }

    #[test]
    fn completions_for_every_shell() {
        for (shell, _) in SHELLS {
            let text = String::from_utf8(completions(cmd(), *shell)).unwrap();
            assert!(text.contains("funccount"), "{shell}");
        }
    }
}

//! Man pages: clap_mangen renders the parts it knows (title, NAME, DESCRIPTION, OPTIONS,
//! SUBCOMMANDS, VERSION); the rest is ours, in man-pages(7) order with perf-tools' sections:
//!
//! NAME, SYNOPSIS (ours: clap_mangen's drops argument names, `[-d ]`), DESCRIPTION, REQUIREMENTS,
//! OPTIONS, the tool's other sections (PATTERNS, FIELDS, OVERHEAD), EXIT STATUS, ENVIRONMENT,
//! FILES, EXAMPLES (the `-h` eg lines, then `examples/TOOL_example.txt`), SEE ALSO, VERSION.

use std::path::Path;

use clap::{Arg, Command};
use clap_mangen::Man;

use super::sections::{self, Reach};

/// Every man page: `lktrace.1`, `lktrace-<sub>.N` for each subcommand (nested ones too, as
/// `lktrace-ctl-status.1`), and `funccount.8`, `kprobe.8` for the standalone binaries. Pages
/// get an EXAMPLES section from `examples/<tool>_example.txt` of this source tree when present.
pub fn man_pages(cmd: Command) -> Vec<(String, Vec<u8>)> {
    man_pages_with_examples(cmd, &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
}

/// [`man_pages`] with the examples read from `examples_dir`.
pub fn man_pages_with_examples(cmd: Command, examples_dir: &Path) -> Vec<(String, Vec<u8>)> {
    // Building propagates the global flags (--json) into every subcommand and names
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

    for tool in super::standalone() {
        if let Some(mut own) = crate::cli::standalone_command(tool) {
            own.build();
            pages.push(page(&own, tool, &source, examples_dir));
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
    pages.push(page(cmd, tool, source, dir));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_tool = if depth == 0 {
            sub.get_name().to_string()
        } else {
            format!("{tool}-{}", sub.get_name())
        };
        collect(sub, &sub_tool, depth + 1, source, dir, pages);
    }
}

/// One page, in its tool's man section.
fn page(cmd: &Command, tool: &str, source: &str, examples_dir: &Path) -> (String, Vec<u8>) {
    let entry = crate::tools::find(tool);
    let section = entry.map_or("1", |e| e.man_section());
    let man = Man::new(cmd.clone()).source(source).section(section);
    let name = man.get_filename();
    let extra = entry.map_or(&[][..], |e| e.man_extra());
    let (requirements, others): (Vec<_>, Vec<_>) =
        extra.iter().partition(|(t, _)| *t == "REQUIREMENTS");

    // Rendering into a Vec cannot fail.
    let mut out = Vec::new();
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(&synopsis(cmd));
    text.push_str(&rendered(|w| man.render_description_section(w)));
    for (title, body) in requirements {
        text.push_str(&prose_section(title, body));
    }
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        text.push_str(&rendered(|w| man.render_options_section(w)));
    }
    if cmd.has_subcommands() {
        text.push_str(&rendered(|w| man.render_subcommands_section(w)));
    }
    for (title, body) in others {
        text.push_str(&prose_section(title, body));
    }
    let reach = Reach::of(cmd, depth_of(tool) == 0 && cmd.has_subcommands());
    for (title, items) in sections::common(&reach) {
        text.push_str(&list_section(title, &items));
    }
    let eg = entry.and_then(|e| crate::tools::registry::eg_text(e.eg()));
    let file = std::fs::read_to_string(examples_dir.join(format!("{tool}_example.txt"))).ok();
    text.push_str(&examples_section(eg.as_deref(), file.as_deref()));
    text.push_str(&prose_section(
        "SEE ALSO",
        &sections::see_also(tool, entry.map(|e| e.name())),
    ));
    if cmd.get_version().is_some() {
        text.push_str(&rendered(|w| man.render_version_section(w)));
    }

    // clap_mangen names subcommands' pages in this page's section: a tool with a page in
    // another section is referred to there.
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
    (name, text.into_bytes())
}

/// How deep a page's tool name is: 0 for `lktrace` and tools, 1 for `ctl-status`.
fn depth_of(tool: &str) -> usize {
    tool.matches('-').count()
}

fn rendered(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    let _ = f(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// SYNOPSIS as perf-tools writes it: every option with its argument's name
/// (`[-d SECS]`), then the positional arguments and the subcommand.
fn synopsis(cmd: &Command) -> String {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut s = format!(".SH SYNOPSIS\n.SY {}\n", roff_text(name));
    let (help, opts): (Vec<&Arg>, Vec<&Arg>) = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .partition(|a| matches!(a.get_id().as_str(), "help" | "version"));
    for a in opts.into_iter().chain(help) {
        let flag = match (a.get_short(), a.get_long()) {
            (Some(c), _) => format!("-{c}"),
            (None, Some(l)) => format!("--{l}"),
            (None, None) => continue,
        };
        let mut item = format!("\\fB{}\\fR", roff_text(&flag));
        if takes_value(a) {
            item.push_str(&format!(" \\fI{}\\fR", roff_text(&value_name(a))));
        }
        if a.is_required_set() {
            s.push_str(&format!("{item}\n"));
        } else {
            s.push_str(&format!("[{item}]\n"));
        }
    }
    for a in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let mut item = format!("\\fI{}\\fR", roff_text(&value_name(a)));
        if a.get_num_args().is_some_and(|n| n.max_values() > 1) {
            item.push_str("...");
        }
        if a.is_required_set() {
            s.push_str(&format!("{item}\n"));
        } else {
            s.push_str(&format!("[{item}]\n"));
        }
    }
    if cmd.has_subcommands() {
        s.push_str("\\fICOMMAND\\fR\n");
    }
    s.push_str(".YS\n");
    s
}

fn takes_value(a: &Arg) -> bool {
    a.get_num_args().is_some_and(|n| n.takes_values())
}

/// The name of an argument's value: clap's value name, else the argument's id in capitals.
fn value_name(a: &Arg) -> String {
    match a.get_value_names() {
        Some(names) if !names.is_empty() => names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => a.get_id().as_str().to_uppercase(),
    }
}

/// `.SH TITLE` with paragraphs of text (blank lines between them). Runs of spaces inside a
/// paragraph are one space (roff keeps them in filled text).
fn prose_section(title: &str, text: &str) -> String {
    let mut section = format!(".SH {title}\n");
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            section.push_str(".PP\n");
        }
        let words: Vec<&str> = para.split_whitespace().collect();
        section.push_str(&roff_text(&words.join(" ")));
        section.push('\n');
    }
    section
}

/// `.SH TITLE` with one tagged paragraph (`.TP`) per item: the term, then its text indented.
fn list_section(title: &str, items: &[sections::Item]) -> String {
    let mut section = format!(".SH {title}\n");
    for (term, text) in items {
        let words: Vec<&str> = text.split_whitespace().collect();
        section.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_text(term),
            roff_text(&words.join(" "))
        ));
    }
    section
}

/// EXAMPLES: the `eg,` lines of `-h`, then the tool's examples file (real output), both as
/// they are printed. Nothing when there is neither.
fn examples_section(eg: Option<&str>, file: Option<&str>) -> String {
    if eg.is_none() && file.is_none() {
        return String::new();
    }
    let mut section = String::from(".SH EXAMPLES\n");
    for (i, block) in eg.into_iter().chain(file).enumerate() {
        if i > 0 {
            section.push_str(".PP\n");
        }
        section.push_str(".nf\n");
        for line in block.lines() {
            section.push_str(&roff_text(line));
            section.push('\n');
        }
        section.push_str(".fi\n");
    }
    section
}

/// A line of text as roff prints it (filled, or as is inside `.nf`): backslashes escaped, and
/// a leading `.` or `'` (a request) kept text with `\&`, a zero-width character.
fn roff_text(line: &str) -> String {
    let escaped = line.replace('\\', "\\e");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests;

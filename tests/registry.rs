//! Walks the list of tools and fails for a tool that lacks anything a tool must ship with: a man
//! page, completions (for `lktrace TOOL` and for a standalone binary), an example file, its
//! records in docs/json.md, a `[[bin]]` and `src/bin/TOOL.rs` when standalone, and a real-kernel
//! scenario. Adding a tool to the list without them cannot pass.

use std::path::PathBuf;

use lktrace::tools::TOOLS;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_default()
}

fn exists(rel: &str) -> bool {
    root().join(rel).is_file()
}

/// What tool `t` lacks, as messages.
fn missing_for(t: &dyn lktrace::tools::Entry) -> Vec<String> {
    let name = t.name();
    let mut out = Vec::new();
    let mut need = |ok: bool, what: String| {
        if !ok {
            out.push(format!("{name}: {what}"));
        }
    };
    let section = t.man_section();
    need(
        exists(&format!("man/lktrace-{name}.{section}")),
        format!("no man/lktrace-{name}.{section} (run `LKTRACE_REGENERATE=1 cargo test --test generated`)"),
    );
    let bash = read("completions/lktrace.bash");
    need(
        bash.contains(&format!("lktrace__{name}")) || bash.contains(&format!("lktrace,{name}")),
        format!("completions/lktrace.bash does not complete `lktrace {name}`"),
    );
    need(
        exists(&format!("examples/{name}_example.txt")),
        format!("no examples/{name}_example.txt (real output, as perf-tools ships)"),
    );
    let json = read("docs/json.md");
    for ty in t.records() {
        need(
            json.contains(&format!("## `{ty}`")),
            format!("docs/json.md has no `## `{ty}`` section for its {ty} records"),
        );
    }
    if t.standalone() {
        need(
            exists(&format!("man/{name}.{section}")),
            format!("standalone, but no man/{name}.{section}"),
        );
        for (shell, _) in lktrace::gen::SHELLS {
            let f = lktrace::gen::completion_file(*shell, name);
            need(
                exists(&format!("completions/{f}")),
                format!("standalone, but no completions/{f}"),
            );
        }
        let cargo = read("Cargo.toml");
        need(
            cargo.contains(&format!(
                "[[bin]]\nname = \"{name}\"\npath = \"src/bin/{name}.rs\""
            )),
            format!("standalone, but Cargo.toml has no [[bin]] {name} at src/bin/{name}.rs"),
        );
        let bin = read(&format!("src/bin/{name}.rs"));
        need(
            bin.contains(&format!("main_for(Some(\"{name}\"))")),
            format!("standalone, but src/bin/{name}.rs does not call main_for(Some(\"{name}\"))"),
        );
    }
    // The suite's scenarios: tests/vm_tools.rs and its modules under tests/vm_tools/.
    let mut vm = read("tests/vm_tools.rs");
    if let Ok(dir) = std::fs::read_dir(root().join("tests/vm_tools")) {
        for f in dir.flatten() {
            vm.push_str(&std::fs::read_to_string(f.path()).unwrap_or_default());
        }
    }
    let kernel_free = !t.on_kernel();
    // The man page's DESCRIPTION says more than the one-line ABOUT.
    need(
        t.description().matches(". ").count() >= 1 && t.description().len() > t.about().len(),
        "no DESCRIPTION of a few sentences for its man page (Tool::DESCRIPTION)".into(),
    );
    // A perf-tools tool's page has perf-tools' sections.
    if section == "8" {
        for title in ["REQUIREMENTS", "FIELDS", "OVERHEAD"] {
            need(
                t.man_extra()
                    .iter()
                    .any(|(s, text)| *s == title && !text.is_empty()),
                format!("its section 8 man page has no {title} (Tool::MAN_EXTRA)"),
            );
        }
    }
    need(
        !t.eg().is_empty(),
        "no `eg,` lines for -h (Tool::EG)".into(),
    );
    need(
        kernel_free || !t.scenarios().is_empty(),
        "names no real-kernel scenario (Tool::SCENARIOS)".into(),
    );
    for sc in t.scenarios() {
        need(
            vm.contains(&format!("s.scenario(\"{sc}\"")) || vm.contains(&format!("(\"{sc}\", ")),
            format!("scenario {sc:?} is not in tests/vm_tools.rs"),
        );
    }
    out
}

#[test]
fn every_tool_ships_with_everything() {
    assert!(TOOLS.len() >= 4);
    let missing: Vec<String> = TOOLS.iter().flat_map(|t| missing_for(*t)).collect();
    assert!(missing.is_empty(), "\n  {}", missing.join("\n  "));
}

#[test]
fn names_are_unique_and_the_cli_has_each() {
    let cmd = lktrace::cli::command();
    let mut seen = std::collections::HashSet::new();
    for t in TOOLS {
        assert!(seen.insert(t.name()), "{} listed twice", t.name());
        let sub = cmd
            .find_subcommand(t.name())
            .unwrap_or_else(|| panic!("no `lktrace {}`", t.name()));
        // `--remote` comes from the CLI layer, on every tool that may run on an agent.
        let has_remote = |c: &clap::Command| c.get_arguments().any(|a| a.get_id() == "remote");
        let remote_somewhere = has_remote(sub) || sub.get_subcommands().any(has_remote);
        assert_eq!(remote_somewhere, t.remote(), "{}: --remote", t.name());
    }
}

/// The walk above really catches a tool without its files: a stand-in with a name nothing
/// ships for fails on every point.
#[test]
fn the_walk_catches_a_tool_that_lacks_everything() {
    struct Ghost;
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct GhostSpec;
    #[derive(Debug, Clone, clap::Args)]
    struct GhostArgs;
    impl lktrace::tools::Tool for Ghost {
        const NAME: &'static str = "ghosttool";
        const ABOUT: &'static str = "nothing";
        const DESCRIPTION: &'static str = "";
        const STANDALONE: bool = true;
        const RECORDS: &'static [&'static str] = &["ghost"];
        const SCENARIOS: &'static [&'static str] = &[];
        type Args = GhostArgs;
        type Spec = GhostSpec;
        fn spec(_: &GhostArgs) -> lktrace::Result<GhostSpec> {
            Ok(GhostSpec)
        }
        fn needs() -> Vec<lktrace::tools::Need> {
            vec![lktrace::tools::Need::new(
                "ghosttool",
                lktrace::tools::Requires::Tracefs,
            )]
        }
        fn describe(_: &GhostSpec) -> String {
            "ghost".into()
        }
        fn run(
            _: &GhostSpec,
            _: &lktrace::tools::RunEnv,
            _: &mut dyn lktrace::record::Sink,
        ) -> lktrace::Result<()> {
            Ok(())
        }
    }
    // Not in the Spec enum, so not an Entry; walk its constants through a small adapter.
    struct GhostEntry;
    impl lktrace::tools::Entry for GhostEntry {
        fn name(&self) -> &'static str {
            <Ghost as lktrace::tools::Tool>::NAME
        }
        fn about(&self) -> &'static str {
            ""
        }
        fn description(&self) -> &'static str {
            <Ghost as lktrace::tools::Tool>::DESCRIPTION
        }
        fn man_section(&self) -> &'static str {
            "8"
        }
        fn standalone(&self) -> bool {
            true
        }
        fn remote(&self) -> bool {
            true
        }
        fn records(&self) -> &'static [&'static str] {
            <Ghost as lktrace::tools::Tool>::RECORDS
        }
        fn scenarios(&self) -> &'static [&'static str] {
            &[]
        }
        fn command(&self) -> clap::Command {
            clap::Command::new("ghosttool")
        }
        fn spec_from(&self, _: &clap::ArgMatches) -> lktrace::Result<lktrace::tools::Spec> {
            Err(lktrace::Error::Usage("ghost".into()))
        }
        fn decode(&self, _: &[u8]) -> Result<lktrace::tools::Spec, String> {
            Err("ghost".into())
        }
        fn needs(&self) -> Vec<lktrace::tools::Need> {
            <Ghost as lktrace::tools::Tool>::needs()
        }
    }
    let m = missing_for(&GhostEntry);
    for what in [
        "man/lktrace-ghosttool.8",
        "DESCRIPTION",
        "no REQUIREMENTS",
        "no FIELDS",
        "no OVERHEAD",
        "completions/lktrace.bash",
        "examples/ghosttool_example.txt",
        "docs/json.md",
        "man/ghosttool.8",
        "completions/ghosttool.bash",
        "Cargo.toml",
        "src/bin/ghosttool.rs",
        "real-kernel scenario",
    ] {
        assert!(
            m.iter().any(|l| l.contains(what)),
            "{what} not caught: {m:#?}"
        );
    }
}

/// A command line split as a shell splits it: words, '…' and "…" quoting, up to the first
/// `|` or `>` (what follows is the shell's business).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, '|' | '>') => break,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    assert!(quote.is_none(), "unbalanced quote in {line:?}");
    words.extend(word);
    words
}

#[test]
fn every_eg_line_is_a_command_line_the_tool_takes() {
    for t in TOOLS {
        for (line, _) in t.eg() {
            let mut words = shell_words(line);
            if words.first().map(String::as_str) == Some("cat") {
                // `cat trace_pipe | lktrace parse`: the command after the pipe.
                let after = line.split('|').nth(1).expect("a pipe");
                words = shell_words(after);
            }
            if words.first().map(String::as_str) == Some("lktrace") {
                words.remove(0);
            }
            assert_eq!(words.first().map(String::as_str), Some(t.name()), "{line}");
            let args = std::iter::once("lktrace".to_string()).chain(words);
            let m = lktrace::cli::command()
                .try_get_matches_from(args)
                .unwrap_or_else(|e| panic!("{}: `{line}` does not parse:\n{e}", t.name()));
            let (_, sub) = m.subcommand().expect("a subcommand");
            if let Err(e) = t.spec_from(sub) {
                panic!("{}: `{line}` is refused: {e}", t.name());
            }
        }
    }
}

#[test]
fn shell_words_split_as_a_shell_does() {
    assert_eq!(
        shell_words(r#"kprobe 'p:x do_sys_openat2 f=+0(%si):string' 'f ~ "*stat"' > out"#),
        [
            "kprobe",
            "p:x do_sys_openat2 f=+0(%si):string",
            "f ~ \"*stat\""
        ]
    );
    assert_eq!(shell_words("tpoint -l | grep open"), ["tpoint", "-l"]);
}

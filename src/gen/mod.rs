//! Man pages and shell completions, generated from the clap command tree.
//!
//! Generated into memory so that one test (`tests/generated.rs`) can both check the committed
//! files under `man/` and `completions/` and rewrite them: the CLI grows, and regenerating must
//! stay a single command (`LKTRACE_REGENERATE=1 cargo test --test generated`).

use clap::Command;
use clap_complete::Shell;

mod man;
mod sections;

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

pub use man::{man_pages, man_pages_with_examples};

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

    #[test]
    fn completions_for_every_shell() {
        for (shell, _) in SHELLS {
            let text = String::from_utf8(completions(crate::cli::command(), *shell)).unwrap();
            assert!(text.contains("funccount"), "{shell}");
        }
    }
}

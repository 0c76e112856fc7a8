//! The definition's head (`p:GRP/EVENT`), its target (symbol, address, `PATH:OFFSET`), and the
//! token helpers; the arguments are in `fetch.rs`.

use super::fetch::ArgContext;
use super::*;

/// Tokens a name after `p:` is followed by when it is the target itself (perf-tools form).
pub(super) fn looks_like_fetch_arg(tok: &str) -> bool {
    tok.contains('=')
        || tok.contains("->")
        || tok.starts_with(['$', '%', '@', '+', '-', '\\'])
        || super::fetch::portable_arg(tok.split(':').next().unwrap_or(tok)).is_some()
}

/// What the head token (`p:GRP/EVENT`) named.
pub(super) enum HeadName<'a> {
    None,
    /// `GRP/EVENT` or `GRP/` (event `None`).
    Slash {
        group: &'a str,
        event: Option<(&'a str, usize)>,
    },
    /// A single word: an event name, or in the perf-tools form the target.
    Bare(&'a str, usize),
}

pub(super) struct Head<'a> {
    is_r: bool,
    maxactive: Option<u32>,
    name: HeadName<'a>,
}

pub(super) struct Parser<'a> {
    pub(super) def: &'a str,
}

impl<'a> Parser<'a> {
    pub(super) fn err(&self, position: usize, reason: impl Into<String>) -> ProbeError {
        ProbeError {
            definition: self.def.to_string(),
            reason: reason.into(),
            position: position.min(self.def.len()),
        }
    }

    pub(super) fn parse(&self) -> Result<ProbeDef, ProbeError> {
        let s = self.def;
        if s.len() > MAX_LINE_LEN {
            return Err(self.err(
                MAX_LINE_LEN,
                format!(
                    "the definition is {} bytes; the kernel takes at most {MAX_LINE_LEN}",
                    s.len()
                ),
            ));
        }
        if let Some(i) = s.find('#') {
            return Err(self.err(
                i,
                "`#` starts a comment in kprobe_events: the kernel would drop the rest of the line",
            ));
        }
        if let Some(i) = s.find(|c: char| c.is_control() && !c.is_ascii_whitespace()) {
            return Err(self.err(i, "control character in the definition"));
        }
        if let Some(i) = s.trim_end().find(['\n', '\r']) {
            return Err(self.err(i, "one definition per line"));
        }
        let tokens = tokenize(s);
        let Some(&(head_pos, head_tok)) = tokens.first() else {
            return Err(self.err(0, "empty definition"));
        };
        let head = self.parse_head(head_tok, head_pos)?;

        // Which token is the target, and which name (if any) the head gave.
        let mut group = None;
        let mut event = None;
        let mut target = tokens.get(1).copied();
        let mut args_from = 2;
        match head.name {
            HeadName::None => {}
            HeadName::Slash { group: g, event: e } => {
                group = Some(g.to_string());
                if let Some((e, pos)) = e {
                    event = Some(self.event_name(e, pos)?);
                }
            }
            HeadName::Bare(name, pos) => {
                let target_first = match tokens.get(1) {
                    None => true,
                    Some((_, next)) => looks_like_fetch_arg(next) || name.starts_with('/'),
                };
                if target_first {
                    // perf-tools: `p:do_sys_open [args]` names the function, not the event.
                    target = Some((pos, name));
                    args_from = 1;
                } else {
                    event = Some(self.event_name(name, pos)?);
                }
            }
        }
        let Some((target_pos, target_tok)) = target else {
            return Err(self.err(
                s.trim_end().len(),
                "no probe target: expected a kernel symbol, an address or PATH:OFFSET",
            ));
        };
        if looks_like_fetch_arg(target_tok) && !target_tok.starts_with('/') {
            return Err(self.err(
                target_pos,
                format!("expected a probe target (a kernel symbol, an address or PATH:OFFSET) before the arguments, found `{target_tok}`"),
            ));
        }
        let (target, suffix) = self.parse_target(target_tok, target_pos)?;
        let uprobe = matches!(target, Target::User { .. });
        if suffix && head.is_r {
            let at = target_pos + target_tok.find('%').unwrap_or(0);
            return Err(self.err(
                at,
                "`%return` goes with `p`; `r` already makes a return probe",
            ));
        }
        let ret = head.is_r || suffix;
        let kind = if uprobe {
            if head.maxactive.is_some() {
                return Err(self.err(
                    head_pos + 1,
                    "MAXACTIVE is for kernel return probes; uprobes take none",
                ));
            }
            if ret {
                ProbeKind::Uretprobe
            } else {
                ProbeKind::Uprobe
            }
        } else if ret {
            ProbeKind::Kretprobe {
                maxactive: head.maxactive,
            }
        } else {
            ProbeKind::Kprobe
        };
        if ret {
            if let Target::Symbol { offset, .. } = &target {
                if *offset != 0 {
                    return Err(self.err(
                        target_pos,
                        "a return probe must be on the function entry (offset 0)",
                    ));
                }
            }
        }

        let arg_tokens = tokens.get(args_from..).unwrap_or(&[]);
        if arg_tokens.len() > MAX_TRACE_ARGS {
            return Err(self.err(
                arg_tokens[MAX_TRACE_ARGS].0,
                format!(
                    "{} arguments; the kernel takes at most {MAX_TRACE_ARGS}",
                    arg_tokens.len()
                ),
            ));
        }
        let ctx = ArgContext {
            uprobe,
            ret,
            fentry: !ret && matches!(target, Target::Symbol { offset: 0, .. }),
        };
        let mut args: Vec<FetchArg> = Vec::with_capacity(arg_tokens.len());
        let mut names: Vec<String> = Vec::with_capacity(arg_tokens.len());
        for (i, &(pos, tok)) in arg_tokens.iter().enumerate() {
            args.push(self.parse_arg(tok, pos, i, &mut names, &ctx)?);
        }
        Ok(ProbeDef {
            kind,
            group,
            event,
            target,
            args,
            return_suffix: suffix,
        })
    }

    /// `p`, `r`, `r10`, followed by nothing or `:[GRP/][EVENT]`.
    pub(super) fn parse_head(&self, tok: &'a str, pos: usize) -> Result<Head<'a>, ProbeError> {
        let b = tok.as_bytes();
        let is_r = match b[0] {
            b'p' => false,
            b'r' => true,
            b'-' => return Err(self.err(pos, "`-:` deletes a probe; it is not a definition")),
            b'f' | b't' | b'e' | b's' => {
                return Err(self.err(pos, "only kprobes and uprobes (`p` and `r`) are supported"))
            }
            _ => return Err(self.err(pos, "a probe definition starts with `p` or `r`")),
        };
        let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut maxactive = None;
        if digits > 0 {
            if !is_r {
                return Err(self.err(pos + 1, "MAXACTIVE is only allowed after `r`"));
            }
            let n = tok[1..1 + digits].parse::<u32>().unwrap_or(u32::MAX);
            if n == 0 || n > MAXACTIVE_MAX {
                return Err(self.err(
                    pos + 1,
                    format!(
                        "MAXACTIVE must be 1 to {MAXACTIVE_MAX} (leave it out for the default)"
                    ),
                ));
            }
            maxactive = Some(n);
        }
        let rest = &tok[1 + digits..];
        if rest.is_empty() {
            return Ok(Head {
                is_r,
                maxactive,
                name: HeadName::None,
            });
        }
        let Some(name) = rest.strip_prefix(':') else {
            return Err(self.err(
                pos + 1 + digits,
                "expected `:` or a space after the probe type",
            ));
        };
        let name_pos = pos + 2 + digits;
        if name.is_empty() {
            return Err(self.err(name_pos, "no event name after `:`"));
        }
        if name.starts_with('/') {
            // `p:/bin/bash:0x4245c0`: a uprobe target in the perf-tools position.
            return Ok(Head {
                is_r,
                maxactive,
                name: HeadName::Bare(name, name_pos),
            });
        }
        let name = match name.split_once('/') {
            Some((group, event)) => {
                if group.len() > MAX_GROUP_NAME_LEN {
                    return Err(self.err(
                        name_pos,
                        format!(
                            "group name is {} chars; at most {MAX_GROUP_NAME_LEN}",
                            group.len()
                        ),
                    ));
                }
                if !is_good_group_name(group) {
                    return Err(self.err(name_pos, format!("bad group name `{group}`: letters, digits, `_` and `-`, not starting with a digit")));
                }
                let event_pos = name_pos + group.len() + 1;
                HeadName::Slash {
                    group,
                    event: (!event.is_empty()).then_some((event, event_pos)),
                }
            }
            None => HeadName::Bare(name, name_pos),
        };
        Ok(Head {
            is_r,
            maxactive,
            name,
        })
    }

    pub(super) fn event_name(&self, name: &str, pos: usize) -> Result<String, ProbeError> {
        if name.len() > MAX_EVENT_NAME_LEN {
            return Err(self.err(
                pos,
                format!(
                    "event name is {} chars; at most {MAX_EVENT_NAME_LEN}",
                    name.len()
                ),
            ));
        }
        if !is_good_event_name(name) {
            return Err(self.err(
                pos,
                format!("bad event name `{name}`: a C identifier is needed (letters, digits, `_`)"),
            ));
        }
        Ok(name.to_string())
    }

    /// The target and whether it carried `%return`.
    pub(super) fn parse_target(&self, tok: &str, pos: usize) -> Result<(Target, bool), ProbeError> {
        if tok.starts_with('/') {
            return self.parse_user_target(tok, pos);
        }
        if tok.contains('/') {
            return Err(self.err(pos, "a uprobe path must be absolute (start with `/`)"));
        }
        let (body, suffix) = match tok.find('%') {
            Some(i) if &tok[i..] == "%return" => (&tok[..i], true),
            Some(i) => {
                return Err(self.err(
                    pos + i,
                    "unknown suffix: only `%return` may follow the target",
                ))
            }
            None => (tok, false),
        };
        if body.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            let Some(addr) = parse_c_ulong(body) else {
                return Err(self.err(
                    pos,
                    "bad address (a symbol cannot start with a digit; a uprobe needs an absolute PATH:OFFSET)",
                ));
            };
            if suffix {
                return Err(self.err(pos, "`%return` needs a function symbol, not an address"));
            }
            return Ok((Target::Address(addr), false));
        }
        let (module, sym_off, sym_pos) = match body.split_once(':') {
            Some((m, rest)) => {
                if m.is_empty()
                    || !m
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    return Err(self.err(pos, format!("bad module name `{m}`")));
                }
                (Some(m.to_string()), rest, pos + m.len() + 1)
            }
            None => (None, body, pos),
        };
        // Like traceprobe_split_symbol_offset: the offset starts at the first `+` or `-`
        // after the first character.
        let split = sym_off
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '+' || c == '-')
            .map(|(i, _)| i);
        let (symbol, offset) = match split {
            Some(i) => {
                let off = &sym_off[i + 1..];
                if &sym_off[i..=i] == "-" {
                    return Err(self.err(sym_pos + i, "a probe offset cannot be negative"));
                }
                let Some(v) = parse_c_ulong(off).filter(|&v| v <= u64::from(u32::MAX)) else {
                    return Err(self.err(
                        sym_pos + i + 1,
                        format!("bad offset `{off}`: a number from 0 to 0xffffffff"),
                    ));
                };
                (&sym_off[..i], v)
            }
            None => (sym_off, 0),
        };
        if !is_symbol_name(symbol) {
            return Err(self.err(sym_pos, format!("bad symbol name `{symbol}`")));
        }
        Ok((
            Target::Symbol {
                module,
                symbol: symbol.to_string(),
                offset,
            },
            suffix,
        ))
    }

    /// `PATH:OFFSET[%return][(REF_CTR_OFFSET)]`, parsed the kernel's way: the offset follows
    /// the last `:`; the reference counter must end the token.
    pub(super) fn parse_user_target(
        &self,
        tok: &str,
        pos: usize,
    ) -> Result<(Target, bool), ProbeError> {
        let Some(colon) = tok.rfind(':') else {
            return Err(self.err(pos, "a uprobe target is PATH:OFFSET"));
        };
        let path = &tok[..colon];
        if path.len() < 2 || path.ends_with('/') {
            return Err(self.err(
                pos,
                format!("bad uprobe path `{path}`: the path of a file is needed"),
            ));
        }
        let mut spec = &tok[colon + 1..];
        let spec_pos = pos + colon + 1;
        let mut ref_ctr = None;
        if let Some(open) = spec.find('(') {
            let Some(inner) = spec[open + 1..].strip_suffix(')') else {
                return Err(self.err(
                    spec_pos + open,
                    "the reference counter offset must be `(OFFSET)` at the end",
                ));
            };
            match parse_c_ulong(inner) {
                Some(v) => ref_ctr = Some(v),
                None => {
                    return Err(self.err(
                        spec_pos + open + 1,
                        format!("bad reference counter offset `{inner}`"),
                    ))
                }
            }
            spec = &spec[..open];
        }
        let mut suffix = false;
        if let Some(i) = spec.find('%') {
            if &spec[i..] != "%return" {
                return Err(self.err(
                    spec_pos + i,
                    "unknown suffix: only `%return` may follow the offset",
                ));
            }
            suffix = true;
            spec = &spec[..i];
        }
        if !spec.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Err(self.err(
                spec_pos,
                "a uprobe needs a numeric offset into the file: PATH:OFFSET",
            ));
        }
        let Some(offset) = parse_c_ulong(spec) else {
            return Err(self.err(spec_pos, format!("bad uprobe offset `{spec}`")));
        };
        Ok((
            Target::User {
                path: path.to_string(),
                offset,
                ref_ctr,
            },
            suffix,
        ))
    }
}

/// Whitespace-separated tokens with their byte offsets.
pub(super) fn tokenize(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_ascii_whitespace() {
            if let Some(st) = start.take() {
                out.push((st, &s[st..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((st, &s[st..]));
    }
    out
}

/// `kstrtoul(s, 0)`: `0x` hex, a leading `0` octal, otherwise decimal.
pub(super) fn parse_c_ulong(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        return u64::from_str_radix(h, 16).ok();
    }
    if s.len() > 1 && s.starts_with('0') {
        if !s.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
            return None;
        }
        return u64::from_str_radix(&s[1..], 8).ok();
    }
    parse_decimal(s)
}

pub(super) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Kernel symbols: C identifiers plus the `.` of compiler clones (`foo.isra.0`, `bar.cold`).
pub(super) fn is_symbol_name(s: &str) -> bool {
    !s.is_empty()
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

/// `^[A-Za-z_-][A-Za-z0-9_-]*$` (`is_good_system_name`; hyphens since Nov-2022, Cc stable).
pub fn is_good_group_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().enumerate().all(|(i, c)| {
            c == b'_' || c == b'-' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
        })
}

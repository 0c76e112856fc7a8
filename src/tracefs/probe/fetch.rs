//! Fetch arguments: `[NAME=]FETCH[:TYPE]`, checked in the kernel's order
//! (`traceprobe_parse_probe_arg`).

use super::parse::{parse_c_ulong, parse_decimal, Parser};
use super::registers::is_register;
use super::*;

/// What the fetch part of an argument turned out to be; decides which types it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fetch {
    Register,
    /// A dereference or `@` fetch: reads memory.
    Memory,
    Immediate,
    ImmediateString,
    Comm,
    /// `$retval`, `$stack`, `$stackN`, `$argN`.
    Value,
    /// A bare name: a portable `argN` (translated before the kernel sees it) or a BTF
    /// argument name with its fields (`file->f_flags`), which the kernel resolves (6.5+).
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeKind {
    Number,
    Char,
    String,
    Symbol,
    Bitfield,
}

/// Facts about the probe an argument needs for its checks.
pub(super) struct ArgContext {
    pub(super) uprobe: bool,
    pub(super) ret: bool,
    /// A kernel probe on a function entry (symbol + 0, not a return): `$argN` works there.
    pub(super) fentry: bool,
}

impl<'a> Parser<'a> {
    /// `[NAME=]FETCH[:TYPE]`.
    ///
    /// Checked in the kernel's order: the name (and its clash with earlier or reserved names)
    /// before the fetch expression, so the first complaint is the kernel's first complaint.
    pub(super) fn parse_arg(
        &self,
        tok: &str,
        pos: usize,
        index: usize,
        names: &mut Vec<String>,
        ctx: &ArgContext,
    ) -> Result<FetchArg, ProbeError> {
        let (name, body, body_pos) = match tok.find('=') {
            Some(0) => return Err(self.err(pos, "argument name missing before `=`")),
            Some(eq) => {
                let name = &tok[..eq];
                if name.len() > MAX_ARG_NAME_LEN {
                    return Err(self.err(
                        pos,
                        format!(
                            "argument name is {} chars; at most {MAX_ARG_NAME_LEN}",
                            name.len()
                        ),
                    ));
                }
                if !is_good_event_name(name) {
                    return Err(self.err(
                        pos,
                        format!("bad argument name `{name}`: a C identifier is needed"),
                    ));
                }
                (Some(name.to_string()), &tok[eq + 1..], pos + eq + 1)
            }
            None => (None, tok, pos),
        };
        // Unnamed arguments are called argN (1-based) by the kernel, and may clash too.
        let effective = name.clone().unwrap_or_else(|| format!("arg{}", index + 1));
        if RESERVED_ARG_NAMES.contains(&effective.as_str()) {
            return Err(self.err(pos, format!("`{effective}` is a reserved field name")));
        }
        if names.contains(&effective) {
            return Err(self.err(pos, format!("argument name `{effective}` is used twice")));
        }
        names.push(effective);
        if body.is_empty() {
            return Err(self.err(body_pos, "empty argument after `=`"));
        }
        if body.len() > MAX_ARGSTR_LEN {
            return Err(self.err(
                body_pos,
                format!(
                    "argument is {} chars; the kernel takes at most {MAX_ARGSTR_LEN}",
                    body.len()
                ),
            ));
        }
        let (fetch, ty) = match body.split_once(':') {
            Some((f, t)) => (f, Some(t)),
            None => (body, None),
        };
        // An unnamed portable `argN` keeps its own name, whatever its place: it becomes
        // `argN=%REG` (or `argN=$argN`) when resolved.
        if name.is_none() && portable_arg(fetch).is_some() {
            if let Some(last) = names.last_mut() {
                *last = fetch.to_string();
            }
            if names[..names.len() - 1].iter().any(|n| n == fetch) {
                return Err(self.err(pos, format!("argument name `{fetch}` is used twice")));
            }
        }
        let ty_pos = body_pos + fetch.len() + 1;
        let kind = self.parse_fetch(fetch, body_pos, ctx, 0)?;
        if let Some(t) = ty {
            let (tk, array) = self.parse_type(t, ty_pos, ctx)?;
            if matches!(kind, Fetch::Comm | Fetch::ImmediateString) && (t != "string") {
                return Err(self.err(
                    ty_pos,
                    "$comm and immediate strings are of type string only",
                ));
            }
            if tk == TypeKind::String
                && !matches!(
                    kind,
                    Fetch::Memory
                        | Fetch::Immediate
                        | Fetch::Comm
                        | Fetch::ImmediateString
                        | Fetch::Name
                )
            {
                return Err(self.err(
                    ty_pos,
                    "a string is read from memory: dereference the pointer, e.g. +0(%si):string",
                ));
            }
            if array.is_some() && kind != Fetch::Memory {
                return Err(self.err(
                    ty_pos,
                    "arrays are read from memory: dereference, e.g. +0(%si):u8[4]",
                ));
            }
        }
        Ok(FetchArg {
            name,
            fetch: fetch.to_string(),
            ty: ty.map(str::to_string),
        })
    }

    pub(super) fn parse_fetch(
        &self,
        e: &str,
        pos: usize,
        ctx: &ArgContext,
        depth: usize,
    ) -> Result<Fetch, ProbeError> {
        let b = e.as_bytes();
        let Some(&c0) = b.first() else {
            return Err(self.err(pos, "empty fetch argument"));
        };
        match c0 {
            b'$' => self.parse_var(&e[1..], pos, ctx),
            b'%' => {
                if is_register(&e[1..]) {
                    Ok(Fetch::Register)
                } else {
                    Err(self.err(pos, format!("unknown register `{e}`")))
                }
            }
            b'@' => {
                let rest = &e[1..];
                match rest.as_bytes().first() {
                    Some(c) if c.is_ascii_digit() => match parse_c_ulong(rest) {
                        Some(_) => Ok(Fetch::Memory),
                        None => Err(self.err(pos + 1, format!("bad address `{rest}`"))),
                    },
                    Some(b'+') => {
                        if !ctx.uprobe {
                            return Err(self.err(pos, "`@+OFFSET` (a file offset) is for uprobes only"));
                        }
                        match parse_c_ulong(&rest[1..]) {
                            Some(_) => Ok(Fetch::Memory),
                            None => Err(self.err(pos + 2, format!("bad file offset `{}`", &rest[1..]))),
                        }
                    }
                    _ => {
                        if ctx.uprobe {
                            return Err(self.err(pos, "`@SYMBOL` is not available with uprobes; use @+OFFSET"));
                        }
                        let split = rest
                            .char_indices()
                            .skip(1)
                            .find(|&(_, c)| c == '+' || c == '-')
                            .map(|(i, _)| i);
                        let sym = split.map_or(rest, |i| &rest[..i]);
                        if !is_symbol_name(sym) {
                            return Err(self.err(pos + 1, format!("bad symbol `{sym}` after `@`")));
                        }
                        if let Some(i) = split {
                            if parse_c_ulong(&rest[i + 1..]).is_none() {
                                return Err(self.err(pos + 1 + i, format!("bad symbol offset `{}`", &rest[i..])));
                            }
                        }
                        Ok(Fetch::Memory)
                    }
                }
            }
            b'+' | b'-' => {
                let mut inner_start = 1;
                if b.get(1) == Some(&b'u') {
                    inner_start = 2;
                }
                let Some(open) = e.find('(') else {
                    return Err(self.err(pos, "a dereference is +|-OFFSET(ARG): `(` is missing"));
                };
                let off = e.get(inner_start..open).unwrap_or("");
                if parse_c_ulong(off).is_none() {
                    return Err(self.err(pos, format!("bad dereference offset `{off}`")));
                }
                let Some(close) = e.rfind(')').filter(|&c| c > open) else {
                    return Err(self.err(pos + open, "a dereference is +|-OFFSET(ARG): `)` is missing"));
                };
                if close + 1 != e.len() {
                    return Err(self.err(pos + close + 1, "unexpected text after `)`"));
                }
                if depth + 1 > MAX_DEREF_DEPTH {
                    return Err(self.err(pos, format!("more than {MAX_DEREF_DEPTH} nested dereferences")));
                }
                let inner_pos = pos + open + 1;
                match self.parse_fetch(&e[open + 1..close], inner_pos, ctx, depth + 1)? {
                    Fetch::Comm | Fetch::ImmediateString => Err(self.err(
                        inner_pos,
                        "$comm and immediate strings cannot be dereferenced",
                    )),
                    _ => Ok(Fetch::Memory),
                }
            }
            b'\\' => {
                let rest = &e[1..];
                if let Some(s) = rest.strip_prefix('"') {
                    if s.is_empty() || !s.ends_with('"') {
                        return Err(self.err(pos, "an immediate string is \\\"TEXT\" with a closing quote"));
                    }
                    return Ok(Fetch::ImmediateString);
                }
                let ok = match rest.as_bytes().first() {
                    Some(c) if c.is_ascii_digit() => parse_c_ulong(rest).is_some(),
                    Some(b'-') | Some(b'+') => parse_c_ulong(&rest[1..]).is_some(),
                    _ => false,
                };
                if ok {
                    Ok(Fetch::Immediate)
                } else {
                    Err(self.err(pos + 1, format!("bad immediate value `{rest}`")))
                }
            }
            _ if is_btf_name(e) => {
                if ctx.uprobe {
                    // Portable `argN` only: user space has no BTF for the kernel to name
                    // arguments from, and `argN` is made concrete before the kernel sees it
                    // (the user calling convention, [`ArgMode::User`]).
                    return match portable_arg(e) {
                        Some(_) if ctx.ret => Err(self.err(pos, format!("`{e}`: argN is for entry probes; a return probe has $retval"))),
                        Some(n) if (1..=PARAM_MAX_STACK).contains(&n) => Ok(Fetch::Name),
                        Some(_) => Err(self.err(pos, format!("argN counts from 1 to {PARAM_MAX_STACK}"))),
                        None => Err(self.err(pos, format!("`{e}`: argument names are for kernel function entry probes; a uprobe takes arg1..argN"))),
                    };
                }
                if !ctx.fentry {
                    return Err(self.err(pos, format!("`{e}`: argument names need a probe on a function entry (symbol with offset 0)")));
                }
                if let Some(n) = portable_arg(e) {
                    if n == 0 || n > PARAM_MAX_STACK {
                        return Err(self.err(pos, format!("argN counts from 1 to {PARAM_MAX_STACK}")));
                    }
                }
                Ok(Fetch::Name)
            }
            _ => Err(self.err(
                pos,
                format!("unknown fetch argument `{e}`: expected %REG, argN, @ADDR, @SYM, $retval, $stackN, $argN, $comm, +|-OFFS(ARG), \\IMM or an argument name"),
            )),
        }
    }

    /// After `$`.
    pub(super) fn parse_var(
        &self,
        v: &str,
        pos: usize,
        ctx: &ArgContext,
    ) -> Result<Fetch, ProbeError> {
        match v {
            "retval" => {
                if ctx.ret {
                    Ok(Fetch::Value)
                } else {
                    Err(self.err(pos, "$retval is only available in return probes"))
                }
            }
            "comm" | "COMM" => Ok(Fetch::Comm),
            "stack" => Ok(Fetch::Value),
            _ => {
                if let Some(n) = v.strip_prefix("stack") {
                    match parse_decimal(n) {
                        Some(n) if ctx.uprobe || n <= PARAM_MAX_STACK => Ok(Fetch::Value),
                        Some(_) => {
                            Err(self.err(pos, format!("$stackN: N is at most {PARAM_MAX_STACK}")))
                        }
                        None => Err(self.err(pos, format!("invalid variable `${v}`"))),
                    }
                } else if let Some(n) = v.strip_prefix("arg") {
                    let Some(n) = parse_decimal(n) else {
                        return Err(self.err(pos, format!("invalid variable `${v}`")));
                    };
                    if ctx.uprobe {
                        return Err(self.err(
                            pos,
                            "$argN is for kernel function entry probes, not uprobes",
                        ));
                    }
                    if ctx.ret {
                        return Err(self.err(pos, "$argN is not available in return probes"));
                    }
                    if !ctx.fentry {
                        return Err(self.err(
                            pos,
                            "$argN needs a probe on a function entry (symbol with offset 0)",
                        ));
                    }
                    if n == 0 || n > PARAM_MAX_STACK {
                        return Err(
                            self.err(pos, format!("$argN counts from 1 to {PARAM_MAX_STACK}"))
                        );
                    }
                    Ok(Fetch::Value)
                } else {
                    let vars = if ctx.uprobe {
                        "$retval, $stack, $stackN or $comm (and arg1..argN)"
                    } else {
                        "$retval, $stack, $stackN, $argN or $comm"
                    };
                    Err(self.err(pos, format!("invalid variable `${v}`: use {vars}")))
                }
            }
        }
    }

    /// `u32`, `string`, `b4@2/8`, `x8[16]`.
    pub(super) fn parse_type(
        &self,
        t: &str,
        pos: usize,
        ctx: &ArgContext,
    ) -> Result<(TypeKind, Option<u64>), ProbeError> {
        let (base, array) = match t.find('[') {
            Some(open) => {
                let Some(close) = t[open..].find(']').map(|c| c + open) else {
                    return Err(self.err(pos + open, "array type needs a closing `]`"));
                };
                if close + 1 != t.len() {
                    return Err(self.err(pos + close + 1, "unexpected text after `]`"));
                }
                let n = &t[open + 1..close];
                match parse_c_ulong(n) {
                    Some(v) if (1..=MAX_ARRAY_LEN).contains(&v) => (&t[..open], Some(v)),
                    _ => {
                        return Err(self.err(
                            pos + open + 1,
                            format!("array length must be 1 to {MAX_ARRAY_LEN}"),
                        ))
                    }
                }
            }
            None => (t, None),
        };
        let kind = match base {
            "u8" | "u16" | "u32" | "u64" | "s8" | "s16" | "s32" | "s64" | "x8" | "x16" | "x32" | "x64" => {
                TypeKind::Number
            }
            "char" => TypeKind::Char,
            "string" | "ustring" => TypeKind::String,
            "symbol" | "symstr" => {
                if ctx.uprobe {
                    return Err(self.err(pos, format!("type `{base}` is not available with uprobes")));
                }
                TypeKind::Symbol
            }
            _ if base.starts_with('b') => {
                self.parse_bitfield(base, pos)?;
                TypeKind::Bitfield
            }
            "" => return Err(self.err(pos, "empty type after `:`")),
            _ => {
                return Err(self.err(
                    pos,
                    format!("unknown type `{base}`: u8..u64, s8..s64, x8..x64, char, string, ustring, symbol, symstr or b<width>@<offset>/<container>"),
                ))
            }
        };
        Ok((kind, array))
    }

    /// `b<width>@<offset>/<container>`, container 8, 16, 32 or 64 bits.
    pub(super) fn parse_bitfield(&self, t: &str, pos: usize) -> Result<(), ProbeError> {
        let bad = |why: &str| {
            self.err(
                pos,
                format!("bad bitfield `{t}`: {why}; the form is b<width>@<offset>/<8|16|32|64>"),
            )
        };
        let rest = &t[1..];
        let (w, rest) = rest.split_once('@').ok_or_else(|| bad("`@` is missing"))?;
        let (o, c) = rest.split_once('/').ok_or_else(|| bad("`/` is missing"))?;
        let w = parse_decimal(w).ok_or_else(|| bad("bad width"))?;
        let o = parse_decimal(o).ok_or_else(|| bad("bad offset"))?;
        let c = parse_decimal(c).ok_or_else(|| bad("bad container size"))?;
        if ![8, 16, 32, 64].contains(&c) {
            return Err(bad("the container is 8, 16, 32 or 64 bits"));
        }
        if w == 0 || w.saturating_add(o) > c {
            return Err(bad("width and offset must fit in the container"));
        }
        Ok(())
    }
}

/// N of a portable argument name `argN` (bare, no `$`).
pub(super) fn portable_arg(e: &str) -> Option<u64> {
    parse_decimal(e.strip_prefix("arg")?)
}

/// A BTF argument reference: a C identifier with `->field` and `.field` accesses
/// (`file->f_path.dentry`), as the kernel's `parse_btf_arg` takes it.
pub(super) fn is_btf_name(e: &str) -> bool {
    let mut rest = e;
    let mut first = true;
    loop {
        let end = rest
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(rest.len());
        let ident = &rest[..end];
        if ident.is_empty() || ident.as_bytes()[0].is_ascii_digit() {
            return false;
        }
        if first && ident.len() > MAX_ARG_NAME_LEN {
            return false;
        }
        first = false;
        rest = &rest[end..];
        if rest.is_empty() {
            return true;
        }
        rest = match rest.strip_prefix("->").or_else(|| rest.strip_prefix('.')) {
            Some(r) => r,
            None => return false,
        };
    }
}

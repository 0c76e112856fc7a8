//! What an event line carries: the probe site of a kprobe/uprobe payload and its `name=value`
//! fields, without allocating.

/// A field value as it appears in a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawValue<'a> {
    /// `"..."` with the quotes removed.
    Quoted(&'a str),
    /// Anything else: `0x3`, `-2`, `(fault)`, `{1,2}`.
    Bare(&'a str),
}

/// A kprobe/uprobe payload: `(do_sys_openat2+0x0/0x170) dfd=0xffffff9c filename="/tmp" ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbePayload<'a> {
    /// The parenthesised probe site, without the parentheses; `None` for other payloads.
    pub site: Option<&'a str>,
    /// The rest, to iterate with [`fields`].
    pub rest: &'a str,
}

/// Splits off the probe site of a payload.
///
/// A site is `(sym+off/size)`, `(caller+off/size <- func)`, or for uprobes `(0x55d5c5a4d000)`
/// and `(0x... <- 0x...)`; module symbols carry ` [mod]`. Parenthesised text with `:` or `,`
/// in it is not a site (`(fd: 3, buf: ...)` of a syscall event).
pub fn probe_payload(payload: &str) -> ProbePayload<'_> {
    let not_site = ProbePayload {
        site: None,
        rest: payload,
    };
    let Some(inner) = payload.strip_prefix('(') else {
        return not_site;
    };
    let Some(close) = inner.find(')') else {
        return not_site;
    };
    let site = &inner[..close];
    if site.is_empty() || site.bytes().any(|c| matches!(c, b':' | b',' | b'(' | b'=')) {
        return not_site;
    }
    let after = &inner[close + 1..];
    let rest = match after.strip_prefix(' ') {
        Some(r) => r,
        None if after.is_empty() => after,
        None => return not_site,
    };
    ProbePayload {
        site: Some(site),
        rest,
    }
}

/// Iterates `name=value` pairs. Stops (and [`Fields::complete`] turns false) when the text is
/// not `name=value` pairs.
///
/// The kernel does not escape values, so a value ends where the next ` name=` starts (or at the
/// end of the line): a string like `"a b"` or a module symbol `foo+0x0/0x10 [ext4]` keeps its
/// spaces, and a quoted string ends at a `"` followed by the end or by ` name=`.
pub fn fields(rest: &str) -> Fields<'_> {
    Fields { rest, ok: true }
}

pub struct Fields<'a> {
    rest: &'a str,
    ok: bool,
}

impl<'a> Fields<'a> {
    /// False when iteration met text that is not `name=value`.
    pub fn complete(&self) -> bool {
        self.ok
    }
}

/// Length of a field name at the start of `b` when it is followed by `=`.
#[inline]
fn name_then_eq(b: &[u8]) -> Option<usize> {
    let n = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))?;
    (n > 0 && b[n] == b'=').then_some(n)
}

/// Where a value starting at `b[0]` ends: the first ` name=` or the end of the text.
#[inline]
fn value_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(off) = b[i..].iter().position(|&c| c == b' ') {
        let sp = i + off;
        if name_then_eq(&b[sp + 1..]).is_some() {
            return sp;
        }
        i = sp + 1;
    }
    b.len()
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a str, RawValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if !self.ok {
            return None;
        }
        let rest = self.rest.trim_end_matches(' ');
        if rest.is_empty() {
            self.rest = rest;
            return None;
        }
        let b = rest.as_bytes();
        let Some(n) = name_then_eq(b) else {
            self.ok = false;
            return None;
        };
        let name = &rest[..n];
        let vstart = n + 1;
        let vb = &b[vstart..];
        if vb.first() == Some(&b'"') {
            // Find the closing quote: a `"` followed by the end or by ` name=`.
            let mut i = 1;
            while let Some(off) = vb[i..].iter().position(|&c| c == b'"') {
                let q = i + off;
                let after = &vb[q + 1..];
                if after.is_empty() {
                    self.rest = "";
                    return Some((name, RawValue::Quoted(&rest[vstart + 1..vstart + q])));
                }
                if after[0] == b' ' && name_then_eq(&after[1..]).is_some() {
                    self.rest = &rest[vstart + q + 2..];
                    return Some((name, RawValue::Quoted(&rest[vstart + 1..vstart + q])));
                }
                i = q + 1;
            }
            // An unterminated string: the line was cut, or this is not our format.
            self.ok = false;
            return None;
        }
        let end = value_end(vb, 0);
        let value = &rest[vstart..vstart + end];
        self.rest = if end < vb.len() {
            &rest[vstart + end + 1..]
        } else {
            ""
        };
        Some((name, RawValue::Bare(value)))
    }
}

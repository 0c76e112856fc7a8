//! An event's `format` file: its id, fields and print format.
//!
//! ```text
//! name: open
//! ID: 1392
//! format:
//!     field:unsigned short common_type;    offset:0;    size:2;    signed:0;
//!     ...
//!
//!     field:__data_loc char[] filename;    offset:24;    size:4;    signed:1;
//!
//! print fmt: "(%lx) dfd=0x%Lx filename=\"%s\" ...", REC->__probe_ip, ...
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatField {
    /// `unsigned long`, `__data_loc char[]`, `u64`, ... An array declaration
    /// (`char comm[16]`) keeps its dimension here: type `char[16]`, name `comm`.
    pub ty: String,
    pub name: String,
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFormat {
    pub name: String,
    pub id: u32,
    /// The `common_*` fields.
    pub common: Vec<FormatField>,
    /// The event's own fields.
    pub fields: Vec<FormatField>,
    pub print_fmt: String,
}

/// Parses a `format` file; `None` when the name, the id or a field line is malformed.
pub fn parse(text: &str) -> Option<EventFormat> {
    let mut name = None;
    let mut id = None;
    let mut print_fmt = String::new();
    let mut common = Vec::new();
    let mut fields = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(v) = t.strip_prefix("name:") {
            name = Some(v.trim().to_string());
        } else if let Some(v) = t.strip_prefix("ID:") {
            id = Some(v.trim().parse().ok()?);
        } else if let Some(v) = t.strip_prefix("print fmt:") {
            print_fmt = v.trim().to_string();
        } else if t.starts_with("field:") {
            let f = parse_field(t)?;
            // Kprobe args and tracepoint fields may not be called common_* (the kernel
            // reserves those names), so the prefix tells the two groups apart.
            if f.name.starts_with("common_") {
                common.push(f);
            } else {
                fields.push(f);
            }
        }
    }
    Some(EventFormat {
        name: name.filter(|n| !n.is_empty())?,
        id: id?,
        common,
        fields,
        print_fmt,
    })
}

/// The field lines of a file that has nothing else a [`parse`] needs: `events/header_page`
/// (`field: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;`, one line per page header field).
/// `None` when a field line is malformed or there is none.
pub fn parse_fields(text: &str) -> Option<Vec<FormatField>> {
    let mut fields = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("field:") {
            fields.push(parse_field(t)?);
        }
    }
    (!fields.is_empty()).then_some(fields)
}

/// `field:unsigned short common_type;    offset:0;    size:2;    signed:0;`
fn parse_field(line: &str) -> Option<FormatField> {
    let mut decl = None;
    let mut offset = None;
    let mut size = None;
    let mut signed = false;
    for part in line.split(';') {
        let part = part.trim();
        if let Some(d) = part.strip_prefix("field:") {
            decl = Some(d.trim());
        } else if let Some(v) = part.strip_prefix("offset:") {
            offset = Some(v.trim().parse().ok()?);
        } else if let Some(v) = part.strip_prefix("size:") {
            size = Some(v.trim().parse().ok()?);
        } else if let Some(v) = part.strip_prefix("signed:") {
            signed = v.trim() == "1";
        }
    }
    let decl = decl?;
    let (ty, name) = decl.rsplit_once(' ')?;
    let (ty, name) = match name.split_once('[') {
        // `char comm[16]`: the dimension belongs to the type.
        Some((n, dim)) => (format!("{}[{dim}", ty.trim()), n.to_string()),
        None => (ty.trim().to_string(), name.to_string()),
    };
    if name.is_empty() || ty.is_empty() {
        return None;
    }
    Some(FormatField {
        ty,
        name,
        offset: offset?,
        size: size?,
        signed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kprobe_format_of_debian_6_1() {
        let f = parse(include_str!("../../tests/fixtures/debian/format_open.txt")).unwrap();
        assert_eq!(f.name, "open");
        assert_eq!(f.id, 1392);
        let common: Vec<&str> = f.common.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            common,
            [
                "common_type",
                "common_flags",
                "common_preempt_count",
                "common_pid"
            ]
        );
        assert_eq!(f.common[3].ty, "int");
        assert!(f.common[3].signed);
        assert_eq!(f.fields.len(), 4);
        assert_eq!(
            f.fields[2],
            FormatField {
                ty: "__data_loc char[]".into(),
                name: "filename".into(),
                offset: 24,
                size: 4,
                signed: true
            }
        );
        assert_eq!(f.fields[0].name, "__probe_ip");
        assert_eq!(f.fields[0].ty, "unsigned long");
        assert!(f
            .print_fmt
            .starts_with("\"(%lx) dfd=0x%Lx filename=\\\"%s\\\""));
        assert!(f.print_fmt.ends_with("REC->flags"));
    }

    #[test]
    fn kretprobe_format_of_profiler_6_1() {
        let f = parse(include_str!(
            "../../tests/fixtures/profiler/format_openret.txt"
        ))
        .unwrap();
        assert_eq!(f.name, "openret");
        let names: Vec<&str> = f.fields.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["__probe_func", "__probe_ret_ip", "ret"]);
        assert_eq!((f.fields[2].offset, f.fields[2].size), (24, 8));
    }

    #[test]
    fn header_page_fields() {
        let text = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\
                    \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\
                    \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\
                    \tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";
        let f = parse_fields(text).unwrap();
        let got: Vec<(&str, &str, u32, u32)> = f
            .iter()
            .map(|f| (f.ty.as_str(), f.name.as_str(), f.offset, f.size))
            .collect();
        assert_eq!(
            got,
            [
                ("u64", "timestamp", 0, 8),
                ("local_t", "commit", 8, 8),
                ("int", "overwrite", 8, 1),
                ("char", "data", 16, 4080)
            ]
        );
        assert_eq!(parse_fields("nothing here\n"), None);
        assert_eq!(parse_fields("\tfield: u64 t;\toffset:x;\tsize:8;\n"), None);
    }

    #[test]
    fn arrays_and_malformed_files() {
        let f = parse(
            "name: x\nID: 1\nformat:\n\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n",
        )
        .unwrap();
        assert_eq!(
            (f.fields[0].ty.as_str(), f.fields[0].name.as_str()),
            ("char[16]", "comm")
        );
        assert_eq!(parse(""), None);
        assert_eq!(parse("name: x\nID: nope\n"), None);
        assert_eq!(
            parse("name: x\nID: 1\n\tfield:int a;\toffset:x;\tsize:4;\n"),
            None
        );
    }
}

use super::*;
use crate::tools::Tool;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: FunclatencyArgs,
}

fn spec(argv: &[&str]) -> std::result::Result<FunclatencySpec, String> {
    let mut v = vec!["funclatency"];
    v.extend_from_slice(argv);
    let cli = Cli::try_parse_from(v).map_err(|e| e.to_string())?;
    Funclatency::spec(&cli.args).map_err(|e| e.to_string())
}

#[test]
fn bcc_flags_make_a_spec_and_hints() {
    let s = spec(&["-mTi", "5", "-d", "20", "-F", "-p", "181", "vfs_r*"]).unwrap();
    assert_eq!(s.unit, LatencyUnit::Msecs);
    assert!(s.timestamps && s.per_function);
    assert_eq!(s.pid.map(Pid::get), Some(181));
    assert_eq!(s.pattern.to_string(), "vfs_r*");
    let h = Funclatency::render_hints(&s);
    assert!(h.timestamps && h.metrics);
    assert_eq!(h.interval, Some(Duration::from_secs(5)));
    assert_eq!(h.duration, Some(Duration::from_secs(20)));
    assert_eq!(spec(&["-u", "vfs_read"]).unwrap().unit, LatencyUnit::Usecs);
    assert_eq!(spec(&["vfs_read"]).unwrap().unit, LatencyUnit::Nsecs);
    assert!(spec(&["-u", "-m", "vfs_read"]).is_err());
    assert!(spec(&["vfs_read;x"]).is_err());
    assert!(spec(&["-d", "0", "vfs_read"]).is_err());
    assert!(spec(&["-p", "0", "vfs_read"]).is_err());
    assert!(spec(&[]).is_err());
}

#[test]
fn an_agent_decodes_only_valid_specs() {
    let s = spec(&["-u", "-p", "7", "vfs_read"]).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<FunclatencySpec>(&json).unwrap(), s);
    let bad = json.replace("vfs_read", "vfs_read\\nx");
    assert!(serde_json::from_str::<FunclatencySpec>(&bad).is_err());
    let bad = json.replace("\"pid\":7", "\"pid\":0");
    assert_ne!(bad, json);
    assert!(serde_json::from_str::<FunclatencySpec>(&bad).is_err());
    let bad = json.replace("\"usecs\"", "\"weeks\"");
    assert_ne!(bad, json);
    assert!(serde_json::from_str::<FunclatencySpec>(&bad).is_err());
}

#[test]
fn triggers_as_written() {
    let t = triggers("lkt_12", "lkt_12", LatencyUnit::Usecs, false, 1, None);
    assert_eq!(
        t.entry,
        "hist:keys=common_pid:ts0=common_timestamp.usecs:size=8192"
    );
    assert_eq!(
        t.ret,
        "hist:keys=common_pid:lat=common_timestamp.usecs-$ts0:size=8192:onmatch(lkt_12.funclat_entry).trace(lkt_12,$lat)"
    );
    assert_eq!(t.synth, "hist:keys=lat.log2:vals=hitcount:size=2048");
    let t = triggers(
        "lkt_12",
        "lkt_12",
        LatencyUnit::Nsecs,
        true,
        100,
        Some("(common_pid == 5)"),
    );
    assert_eq!(
        t.entry,
        "hist:keys=common_pid:ts0=common_timestamp:size=8192 if (common_pid == 5)"
    );
    assert!(t
        .ret
        .ends_with(".trace(lkt_12,$lat,__probe_func) if (common_pid == 5)"));
    assert_eq!(t.synth, "hist:keys=func.sym,lat.log2:vals=hitcount:size=8192");
    let t = triggers("g", "g", LatencyUnit::Msecs, false, 1, None);
    assert!(t.entry.contains(":ts0=common_timestamp/1000000:"));
    assert!(t.ret.contains(":lat=common_timestamp/1000000-$ts0:"));
    let own = not_us().unwrap();
    assert!(own.starts_with(&format!("common_pid != {}", std::process::id())), "{own}");
    // Removed whole, as written.
    assert_eq!(
        crate::tracefs::events::trigger_removal(&t.ret).unwrap(),
        format!("!{}", t.ret)
    );
}

/// The shape of a 6.1 `hist` file of `hist:keys=func.sym,lat.log2` (`hist_trigger_print_key`:
/// `.sym` prints `[%llx] %-45s`, `.log2` prints `~ 2^%-2llu`).
const PER_FUNCTION: &str = "# event histogram\n#\n# trigger info: hist:keys=func.sym,lat.log2:vals=hitcount:sort=hitcount:size=8192 [active]\n#\n\n{ func: [ffffffff8134a0b0] vfs_read                                      , lat: ~ 2^10 } hitcount:          3\n{ func: [ffffffff8134a0b0] vfs_read                                      , lat: ~ 2^13 } hitcount:         97\n{ func: [ffffffff8134a2c0] ksys_read                                     , lat: ~ 2^14 } hitcount:          1\n\nTotals:\n    Hits: 101\n    Entries: 3\n    Dropped: 0\n";

#[test]
fn a_table_becomes_histograms_per_interval() {
    let now = tally(&hist::parse(PER_FUNCTION));
    assert_eq!(now.len(), 2, "{now:?}");
    let hs = histograms(&now, &Tally::new(), LatencyUnit::Nsecs, Some(1.0));
    assert_eq!(hs.len(), 2);
    let ksys = &hs[0];
    assert_eq!(
        ksys.keys.get("function"),
        Some(&FieldValue::Str("ksys_read".into()))
    );
    let read = &hs[1];
    assert_eq!(read.unit, "ns");
    assert_eq!(read.time, Some(1.0));
    // 2^10 .. 2^13, the two between filled with zeros.
    let b: Vec<(u64, u64, u64)> = read
        .buckets
        .iter()
        .map(|b| (b.low, b.high, b.count))
        .collect();
    assert_eq!(
        b,
        vec![
            (513, 1024, 3),
            (1025, 2048, 0),
            (2049, 4096, 0),
            (4097, 8192, 97)
        ]
    );
    // The next interval counts only what came since.
    let mut later = now.clone();
    *later
        .get_mut("vfs_read")
        .unwrap()
        .get_mut(&(4097, 8192))
        .unwrap() += 5;
    let hs = histograms(&later, &now, LatencyUnit::Nsecs, None);
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0].buckets.len(), 1);
    assert_eq!(hs[0].buckets[0].count, 5);
    // Without -F and without a call: one empty histogram.
    let hs = histograms(&Tally::new(), &Tally::new(), LatencyUnit::Usecs, None);
    assert_eq!(hs.len(), 1);
    assert!(hs[0].buckets.is_empty() && hs[0].keys.0.is_empty());
    // The first log2 bucket is 0..1.
    let mut one = BTreeMap::new();
    one.insert((0, 1), 4);
    one.insert((2, 2), 1);
    let b = fill_log2(&one);
    assert_eq!((b[0].low, b[0].high, b[0].count), (0, 1, 4));
    assert_eq!((b[1].low, b[1].high, b[1].count), (2, 2, 1));
}

#[test]
fn synthetic_fields() {
    assert_eq!(synth_fields(false).len(), 1);
    let d = crate::tracefs::synthetic::SynthDef {
        name: "lkt_3".into(),
        fields: synth_fields(true),
    };
    assert_eq!(
        d.definition().unwrap(),
        "lkt_3 u64 lat; unsigned long func"
    );
}

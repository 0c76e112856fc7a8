use super::*;

#[test]
fn patterns() {
    for ok in [
        "vfs_*",
        "*_read",
        "tcp_*send*",
        "vfs_[rw]*",
        "foo.isra.0",
        "a[!b]?",
        "x-y",
    ] {
        assert!(FuncPattern::try_from(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "vfs_rea[d:mod:zz\n*:traceoff\n*:dump\nx:mod:]",
        "vfs_read:traceoff",
        "!vfs_read",
        "vfs read",
        "vfs_read\n",
        "a\u{0}",
        "é",
    ] {
        assert!(FuncPattern::try_from(bad).is_err(), "{bad:?}");
    }
    let long = "a".repeat(60 * 1024);
    let e = FuncPattern::try_from(long.as_str()).unwrap_err();
    assert!(e.to_string().contains("61440 bytes"), "{e}");
    // serde goes through the same check.
    assert!(serde_json::from_str::<FuncPattern>("\"a:mod:b\"").is_err());
    assert_eq!(
        serde_json::from_str::<FuncPattern>("\"vfs_*\"")
            .unwrap()
            .as_str(),
        "vfs_*"
    );
}

#[test]
fn seconds() {
    for bad in [
        "-1",
        "0",
        "NaN",
        "nan",
        "inf",
        "1e300",
        "99999999999999999999",
        "1e-9",
        "x",
    ] {
        assert!(RunSeconds::from_str(bad).is_err(), "{bad}");
    }
    assert!(IntervalSeconds::from_str("0.05").is_err());
    assert_eq!(IntervalSeconds::from_str("0.1").unwrap().secs(), 0.1);
    assert_eq!(RunSeconds::from_str("6").unwrap().duration().as_secs(), 6);
    for bad in ["-1.0", "1e300", "1e-9"] {
        assert!(serde_json::from_str::<RunSeconds>(bad).is_err(), "{bad}");
    }
    // JSON has no NaN; null is not a number either.
    assert!(serde_json::from_str::<RunSeconds>("null").is_err());
    let e = RunSeconds::try_from(f64::NAN).unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
}

#[test]
fn counts_and_pids() {
    assert!(Pid::from_str("0").is_err());
    assert!(Pid::from_str("4294967296").is_err());
    assert!(Top::from_str("0").is_err());
    assert!(MaxProbes::from_str("5001").is_err());
    assert!(serde_json::from_str::<MaxProbes>("1000000").is_err());
    assert_eq!(serde_json::to_string(&MaxProbes::default()).unwrap(), "200");
}

#[test]
fn definitions_and_filters() {
    assert!(KprobeDefinition::try_from("p:myopen do_sys_openat2 filename=+0(%si):string").is_ok());
    assert!(KprobeDefinition::try_from("p:a vfs_read\n-:a").is_err());
    let e = KprobeDefinition::try_from("p:/bin/../etc/x:0x10").unwrap_err();
    assert!(e.to_string().contains("uprobe"), "{e}");
    assert!(KprobeDefinition::try_from("p:bad vfs_read $none_var").is_err());
    // A group of the user's own is refused in one line, not replaced without a word.
    for d in ["p:mine/open do_sys_openat2", "r:mine/ vfs_read $retval"] {
        let e = KprobeDefinition::try_from(d).unwrap_err().to_string();
        assert!(
            e.contains("a group of its own") && e.contains("leave out `mine/`"),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    assert!(EventFilter::try_from("filename ~ \"*.conf\"").is_ok());
    assert!(EventFilter::try_from("a == 1\n").is_err());
}

use super::*;
use crate::record::{NoticeLevel, VecSink};

fn notice(m: &str) -> Record {
    Record::notice(NoticeLevel::Info, m)
}

fn io(p: &Progress) {
    let path = std::path::Path::new("kprobe_events");
    p.io(&Io {
        op: crate::tracefs::tap::Op::Append,
        path,
        data: Some("p:x vfs_read"),
        bytes: 12,
        took: Duration::ZERO,
        error: None,
    });
}

fn stage(p: &Progress) -> (Stage, u64) {
    let st = p.state();
    (st.stage, st.ops)
}

#[test]
fn setup_then_the_window_then_teardown() {
    let p = Progress::new(Some(Duration::from_secs(5)));
    let mut sink = ProgressSink::new(Arc::clone(&p), Box::new(VecSink::default()));
    io(&p);
    io(&p);
    assert_eq!(stage(&p), (Stage::SettingUp, 2));
    sink.emit(notice("Tracing vfs_read for 5 seconds..."))
        .unwrap();
    assert_eq!(stage(&p).0, Stage::Tracing);
    assert_eq!(p.bar.length(), Some(5));
    // The results' reads end the window; teardown counts from zero.
    io(&p);
    assert_eq!(stage(&p), (Stage::TearingDown, 1));
    sink.emit(notice("Ending tracing...")).unwrap();
    assert_eq!(stage(&p), (Stage::TearingDown, 1));
    drop(sink);
    assert!(
        p.bar.is_finished(),
        "the line is gone when the run's sink is"
    );
}

#[test]
fn other_notices_leave_the_window_open_and_a_record_closes_it() {
    let p = Progress::new(None);
    let mut sink = ProgressSink::new(Arc::clone(&p), Box::new(VecSink::default()));
    sink.emit(notice("Tracing sched:sched_switch. Ctrl-C to end."))
        .unwrap();
    sink.emit(notice("the kprobe blacklist is not applied"))
        .unwrap();
    assert_eq!(stage(&p).0, Stage::Tracing);
    sink.emit(Record::Lost(crate::record::Lost {
        cpu: None,
        count: None,
    }))
    .unwrap();
    assert_eq!(stage(&p).0, Stage::TearingDown);
}

#[test]
fn writes_pass_through_whole() {
    let p = Progress::new(None);
    let mut w = p.writer(Vec::new());
    w.write_all(b"FUNC  COUNT\n").unwrap();
    w.flush().unwrap();
    assert_eq!(w.inner, b"FUNC  COUNT\n");
}

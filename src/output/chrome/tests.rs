use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use serde_json::Value;

use super::ChromeSink;
use crate::record::{Event, FieldValue, Fields, Lost, NoticeLevel, Record, Sink, Span, Stack};

/// A writer the test can read after the sink is gone.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).unwrap()
    }
}

/// Renders the records (each with its host, if any) and parses the whole output as JSON.
fn render(records: Vec<(Option<&str>, Record)>) -> (Vec<Value>, String) {
    let (out, err) = (Shared::default(), Shared::default());
    {
        let mut sink = ChromeSink::new(Box::new(out.clone()), Box::new(err.clone()));
        for (host, r) in records {
            match host {
                Some(h) => sink.emit_from(h, r).unwrap(),
                None => sink.emit(r).unwrap(),
            }
        }
        sink.flush().unwrap();
    }
    let v: Value = serde_json::from_str(&out.text()).expect("a JSON document");
    (v.as_array().expect("an array").clone(), err.text())
}

fn span(name: &str, ts: f64, dur: f64, depth: u32) -> Record {
    Record::Span(Span {
        comm: "dd".into(),
        pid: 412,
        cpu: 0,
        timestamp: ts,
        name: name.into(),
        duration_us: dur,
        depth: Some(depth),
        fields: Fields::default(),
    })
}

fn event(ts: f64) -> Record {
    Record::Event(Event {
        comm: "cat".into(),
        pid: 88,
        tgid: Some(80),
        cpu: 1,
        flags: None,
        timestamp: ts,
        event: "myopen".into(),
        probe: Some("do_sys_openat2+0x0/0x170".into()),
        fields: Fields(vec![("dfd".into(), FieldValue::Int(-100))]),
        payload: None,
    })
}

#[test]
fn spans_are_complete_events_in_microseconds() {
    let (v, _) = render(vec![
        (None, span("vfs_read", 3.580576, 12.5, 0)),
        (None, span("rw_verify_area", 3.580577, 0.3, 1)),
    ]);
    // The thread's name once, then the two calls.
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(v[0]["ph"], "M");
    assert_eq!(v[0]["name"], "thread_name");
    assert_eq!(v[0]["args"]["name"], "dd-412");
    assert_eq!(v[1]["ph"], "X");
    assert_eq!(v[1]["name"], "vfs_read");
    // No float noise: the kernel's microseconds exactly.
    assert_eq!(v[1]["ts"].as_f64(), Some(3580576.0));
    assert_eq!(v[1]["dur"].as_f64(), Some(12.5));
    assert_eq!(
        (v[1]["pid"].as_u64(), v[1]["tid"].as_u64()),
        (Some(412), Some(412))
    );
    assert_eq!(v[2]["args"]["depth"], 1);
    assert_eq!(v[2]["ts"].as_f64(), Some(3580577.0));
}

#[test]
fn events_and_stacks_are_instants_on_their_thread() {
    let stack = Record::Stack(Stack {
        comm: "cat".into(),
        pid: 88,
        cpu: 1,
        timestamp: 7.000001,
        frames: vec!["do_sys_openat2".into(), "__x64_sys_openat".into()],
    });
    let (v, _) = render(vec![(None, event(7.000001)), (None, stack)]);
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(v[1]["ph"], "i");
    assert_eq!(v[1]["s"], "t");
    // The thread group is the process, the task the thread.
    assert_eq!(
        (v[1]["pid"].as_u64(), v[1]["tid"].as_u64()),
        (Some(80), Some(88))
    );
    assert_eq!(v[1]["args"]["dfd"], -100);
    assert_eq!(v[1]["args"]["probe"], "do_sys_openat2+0x0/0x170");
    assert_eq!(v[1]["ts"].as_f64(), Some(7000001.0));
    assert_eq!(v[2]["name"], "stack");
    assert_eq!(v[2]["args"]["frames"][1], "__x64_sys_openat");
}

#[test]
fn loss_and_notices_go_to_stderr_and_loss_on_the_timeline_too() {
    let (v, err) = render(vec![
        (
            None,
            Record::notice(NoticeLevel::Info, "Tracing myopen. Ctrl-C to end."),
        ),
        (
            None,
            Record::Lost(Lost {
                cpu: Some(1),
                count: Some(5),
            }),
        ),
    ]);
    assert!(err.contains("Tracing myopen"), "{err}");
    assert!(err.contains('5'), "{err}");
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["name"], "lost 5 events");
    assert_eq!(v[0]["s"], "g");
}

#[test]
fn an_empty_run_is_an_empty_array() {
    let (v, _) = render(vec![]);
    assert!(v.is_empty());
}

#[test]
fn each_host_is_a_process_of_its_own() {
    let (v, _) = render(vec![
        (Some("a"), event(1.0)),
        (Some("b"), event(1.0)),
        (Some("a"), event(2.0)),
    ]);
    let names: Vec<_> = v
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| {
            (
                e["pid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [(1, "a"), (2, "b")]);
    let pids: Vec<_> = v
        .iter()
        .filter(|e| e["ph"] == "i")
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids, [1, 2, 1]);
}

#[test]
fn records_without_a_time_are_refused_in_words() {
    let (out, err) = (Shared::default(), Shared::default());
    let mut sink = ChromeSink::new(Box::new(out), Box::new(err));
    let r = Record::Lost(Lost {
        cpu: None,
        count: None,
    });
    sink.emit(r).unwrap();
    let counts: Record = serde_json::from_str(
        r#"{"type":"counts","backend":"profiler","duration_s":1.0,"time":0.0,"counts":[]}"#,
    )
    .unwrap();
    let e = sink.emit(counts).unwrap_err().to_string();
    assert!(e.contains("counts record"), "{e}");
}

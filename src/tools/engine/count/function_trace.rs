//! The function-trace backend: the function tracer in our instance, each trace_pipe line
//! counted here.

use std::collections::HashMap;
use std::time::Duration;

use super::{Counter, Matched, Plan};
use crate::record::{Lost, NoticeLevel, Record, Sink};
use crate::tracefs::features::Feature;
use crate::tracefs::pipe::TracePipe;
use crate::tracefs::trace_line::{self, Body, Line};
use crate::tracefs::{Error as TfError, Session, Tracefs};
use crate::Result;

/// The function tracer in our instance, each trace_pipe line counted here. Costs the most;
/// the kernel drops events when we fall behind, and we report how many.
/// How long the counter lets events gather before it reads them.
const READ_PACE: Duration = Duration::from_millis(100);

#[derive(Default)]
pub(super) struct TraceCounter {
    pipe: Option<TracePipe>,
    counts: HashMap<String, u64>,
    tracefs: Option<Tracefs>,
    lost: u64,
    /// A drop the kernel reported without its count.
    lost_uncounted: bool,
}

impl TraceCounter {
    fn take_line(&mut self, line: &str, lost: &mut Vec<Record>) {
        match trace_line::parse_line(line) {
            Line::Event {
                body: Body::Function { func, .. },
                ..
            } => {
                if let Some(c) = self.counts.get_mut(func) {
                    *c += 1;
                } else {
                    self.counts.insert(func.to_string(), 1);
                }
            }
            Line::Lost { cpu, count } => {
                self.lost += count.unwrap_or(0);
                self.lost_uncounted |= count.is_none();
                lost.push(Record::Lost(Lost {
                    cpu: Some(cpu),
                    count,
                }))
            }
            _ => {}
        }
    }
}

impl Counter for TraceCounter {
    fn start(
        &mut self,
        s: &mut Session,
        plan: &Plan<'_>,
        matched: &mut Matched,
        sink: &mut dyn Sink,
    ) -> Result<Vec<String>> {
        let list = matched.filter_list(s, plan.target)?;
        // The kernel matches the glob itself and reads back what it selected.
        let functions = s.set_instance_filter(&list)?;
        // Our own reads of trace_pipe would be traced as fast as we read them (vfs_read!):
        // keep this process and this thread out.
        if s.features().has(Feature::NotracePid) {
            s.append_instance("set_ftrace_notrace_pid", &crate::tools::own_pid_list())?;
        } else {
            sink.emit(Record::notice(
                NoticeLevel::Warning,
                "this kernel has no set_ftrace_notrace_pid (5.8+): lktrace's own calls are counted too",
            ))?;
        }
        // Bigger per-CPU buffers make drops rarer; the instance (and its memory) goes at exit.
        // Also lets the kernel expand buffers before the tracer is set (see expand_buffers).
        s.grow_instance_buffer(4096)?;
        let phase = s.tracefs().phase("enable");
        s.write_instance("current_tracer", "function")?;
        phase.end();
        let tracer_file = s.instance_file("current_tracer")?;
        let tracer = s.tracefs().read_value(tracer_file)?;
        if tracer != "function" {
            return Err(TfError::Missing {
                what: "the function tracer (the kernel kept current_tracer at nop)".into(),
                config: "CONFIG_FUNCTION_TRACER",
            }
            .into());
        }
        self.tracefs = Some(s.tracefs().clone());
        let pipe = s.instance_file("trace_pipe")?;
        // Read at most ten times a second. Each read is itself a vfs_read: read at every
        // wakeup, two runs counting vfs_read would feed each other without end (each read of
        // one an event for the other; seen on 6.1 and 6.12: 3809 and 11583 counted for a
        // workload of 2050). Paced, each adds a few reads a second to the other's count, and
        // the 4 MiB per-CPU buffer holds far more than a tenth of a second of calls.
        self.pipe = Some(s.tracefs().open_pipe(pipe)?.settle(READ_PACE));
        Ok(functions)
    }

    fn pump(&mut self, s: &Session, timeout: Duration, sink: &mut dyn Sink) -> Result<bool> {
        let Some(mut pipe) = self.pipe.take() else {
            return Ok(s.stop_flag().sleep(timeout));
        };
        let mut lost = Vec::new();
        let r = pipe.read_lines(timeout, &mut |line| self.take_line(line, &mut lost));
        self.pipe = Some(pipe);
        r?;
        for l in lost {
            sink.emit(l)?;
        }
        Ok(s.stop_flag().is_set())
    }

    fn finish(&mut self, s: &Session, sink: &mut dyn Sink) -> Result<()> {
        s.write_instance("tracing_on", "0")?;
        if let Some(mut pipe) = self.pipe.take() {
            let mut lost = Vec::new();
            pipe.drain(&mut |line| self.take_line(line, &mut lost))?;
            for l in lost {
                sink.emit(l)?;
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, _s: &Session) -> Result<HashMap<String, u64>> {
        Ok(self.counts.clone())
    }

    fn lost(&self) -> (u64, bool) {
        (self.lost, self.lost_uncounted)
    }
}

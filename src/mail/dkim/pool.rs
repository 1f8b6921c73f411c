//! The signing threads: one per core, started at the first signature, taking tasks from one queue.
//!
//! Why not tokio's `spawn_blocking` per message: with 16 connections and 2 cores, a blocking thread signed one
//! message, went to sleep, and was woken for the next (a futex wait and wake, two context switches, per
//! message: about a sixth of the CPU of a signed send went to the kernel). Here a thread that finds the
//! queue non-empty goes straight on, and sleeps only when there is nothing to sign.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use anyhow::{Context, Result};

type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    tasks: VecDeque<Task>,
    /// Threads waiting for a task: a task wakes one only when one waits (a wake is a system call).
    idle: usize,
    /// The pool was dropped: threads finish the queue and end.
    closed: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    ready: Condvar,
}

/// A fixed set of threads for CPU-heavy work handed over from async code.
pub struct Pool {
    queue: Arc<Queue>,
    threads: usize,
    /// How many threads started (set at the first task).
    started: OnceLock<usize>,
}

impl Pool {
    /// A pool of `threads` threads (at least one), started when the first task comes.
    pub fn new(threads: usize) -> Pool {
        Pool {
            queue: Arc::new(Queue::default()),
            threads: threads.max(1),
            started: OnceLock::new(),
        }
    }

    /// Runs `work` on a pool thread and waits for its result without blocking the async thread.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let started = *self.started.get_or_init(|| {
            (0..self.threads)
                .filter(|i| {
                    let queue = Arc::clone(&self.queue);
                    std::thread::Builder::new()
                        .name(format!("dkim-sign-{i}"))
                        .spawn(move || serve(&queue))
                        .is_ok()
                })
                .count()
        });
        if started == 0 {
            // No thread could start (the system's limit): sign here rather than wait for ever.
            return Ok(work());
        }
        let (done, result) = tokio::sync::oneshot::channel();
        let task: Task = Box::new(move || {
            // The caller may have gone (its run stopped): nobody wants the result then.
            let _ = done.send(work());
        });
        {
            let mut state = self
                .queue
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            state.tasks.push_back(task);
            if state.idle > 0 {
                self.queue.ready.notify_one();
            }
        }
        result.await.context("a signing task failed")
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let mut state = self
            .queue
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        self.queue.ready.notify_all();
    }
}

/// One thread's loop: the next task, or sleep until there is one.
fn serve(queue: &Queue) {
    let mut state = queue.state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(task) = state.tasks.pop_front() {
            drop(state);
            // A panicking task drops its result sender (its caller gets an error); the thread carries on.
            let _ = catch_unwind(AssertUnwindSafe(task));
            state = queue.state.lock().unwrap_or_else(PoisonError::into_inner);
        } else if state.closed {
            return;
        } else {
            state.idle += 1;
            state = queue
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.idle -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pool;

    #[tokio::test]
    async fn tasks_run_on_the_pool_threads_and_a_panicking_task_is_an_error_that_leaves_the_pool_working()
     {
        let pool = Pool::new(2);
        let name = || std::thread::current().name().map(str::to_string);
        let (a, b) = tokio::join!(pool.run(move || (1, name())), pool.run(move || (2, name())));
        for (result, expected) in [(a, 1), (b, 2)] {
            let (n, name) = result.unwrap();
            assert_eq!(n, expected);
            assert!(name.unwrap().starts_with("dkim-sign-"));
        }
        assert!(pool.run(|| panic!("a task panics")).await.is_err());
        assert_eq!(pool.run(|| 2 + 2).await.unwrap(), 4);
    }
}

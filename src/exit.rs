//! Exit codes of `verdicts`, so that cron wrappers and scripts can branch on what happened.

/// What a command's outcome means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done (also: nothing to do).
    Success,
    /// 1: an error stopped the command; the message says what.
    Failure,
    /// 2: the command line was wrong (clap's own code).
    Usage,
    /// 3: configuration or content is invalid; `verdicts check` lists every problem.
    Invalid,
    /// 4: the send finished its pass, but some recipients are deferred (a later run retries them).
    Deferred,
    /// 5: the relay kept failing; the send paused and can be resumed by running it again.
    RelayDown,
    /// 6: another sender holds the lease; this run did nothing.
    LeaseHeld,
    /// 7: the relay's TLS certificate is not trusted (unknown issuer, a CA certificate used as a server's, the
    /// wrong name, expired): running again cannot help until a setting or the certificate changes.
    TlsUntrusted,
    /// 130: interrupted (SIGINT/SIGTERM) after recording messages in flight; run again to resume.
    Interrupted,
    /// 8: `bounces ingest` read some messages it could not understand (a Maildir moved them aside).
    NotUnderstood,
    /// 75 (EX_TEMPFAIL): `bounces ingest` could not record a message (the store could not be written); an MTA's
    /// pipe transport keeps the message and tries again.
    TempFail,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Invalid => 3,
            ExitStatus::Deferred => 4,
            ExitStatus::RelayDown => 5,
            ExitStatus::LeaseHeld => 6,
            ExitStatus::TlsUntrusted => 7,
            ExitStatus::Interrupted => 130,
            ExitStatus::NotUnderstood => 8,
            ExitStatus::TempFail => 75,
        }
    }
}

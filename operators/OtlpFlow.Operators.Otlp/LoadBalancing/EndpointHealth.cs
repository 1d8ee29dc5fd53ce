namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>What is known of one endpoint's health: active check streaks and passive ejection.</summary>
internal sealed class EndpointHealth
{
    private readonly Lock _lock = new();
    private int _passes;
    private int _failedChecks;
    private int _failedSends;
    private long _ejectedUntil;

    /// <summary>False once active checks failed often enough in a row; true again after enough passes.</summary>
    public bool CheckedHealthy { get; private set; } = true;

    /// <summary>Records one active check; true when the endpoint's health changed.</summary>
    public bool RecordCheck(bool passed, HealthCheckOptions options)
    {
        lock (_lock)
        {
            var before = CheckedHealthy;
            if (passed)
            {
                _failedChecks = 0;
                if (!CheckedHealthy && ++_passes >= options.HealthyThreshold)
                {
                    CheckedHealthy = true;
                }
            }
            else
            {
                _passes = 0;
                if (CheckedHealthy && ++_failedChecks >= options.UnhealthyThreshold)
                {
                    CheckedHealthy = false;
                }
            }

            return before != CheckedHealthy;
        }
    }

    /// <summary>
    /// Records one send attempt; true when it ejected the endpoint. Sends that were under way when
    /// it was ejected and fail meanwhile do not eject it again (nor extend its ejection).
    /// </summary>
    public bool RecordSend(bool succeeded, int consecutiveFailures, long now, long ejectUntil)
    {
        lock (_lock)
        {
            if (succeeded || consecutiveFailures <= 0)
            {
                _failedSends = 0;
                return false;
            }

            if (_ejectedUntil > now)
            {
                return false;
            }

            if (++_failedSends < consecutiveFailures)
            {
                return false;
            }

            _failedSends = 0;
            _ejectedUntil = ejectUntil;
            return true;
        }
    }

    /// <summary>Forgets everything known: the endpoint is a new member (it registered again).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _passes = 0;
            _failedChecks = 0;
            _failedSends = 0;
            _ejectedUntil = 0;
            CheckedHealthy = true;
        }
    }

    public bool IsEjected(long now)
    {
        lock (_lock)
        {
            return _ejectedUntil > now;
        }
    }
}

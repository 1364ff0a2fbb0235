using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flowstate.Durable;

/// <summary>
/// Crash repair without a client call: every <see cref="DurableOptions.ReplayEvery"/>, each silo
/// claims the journal rows that stayed due (their grain died, or its pushes keep failing) and asks
/// those grains to re-send. A grain that fails is reported and retried later with a growing delay;
/// the pass goes on with the others.
/// </summary>
public sealed class JournalReplay(IntentJournal journal, IGrainFactory grains, DurableOptions options, ILogger<JournalReplay> logger)
    : BackgroundService
{
    private const int BatchSize = 500;
    private const int Parallelism = 32;

    /// <summary>What one pass did: grains whose pushes were re-sent, and those that failed with their error.</summary>
    public sealed record Report(int Resent, IReadOnlyList<(GrainId Grain, string Error)> Failed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReplayEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                Report report;
                do report = await ReplayDueAsync(stoppingToken);
                while (report.Resent + report.Failed.Count == BatchSize && !stoppingToken.IsCancellationRequested);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Journal replay could not read the journal; will retry");
            }
        }
    }

    /// <summary>One pass over the due rows (at most <see cref="BatchSize"/>).</summary>
    public async Task<Report> ReplayDueAsync(CancellationToken ct = default)
    {
        var due = await journal.ClaimDueAsync(BatchSize, ct);
        if (due.Count == 0) return new Report(0, []);
        var done = new List<IntentJournal.Intent>();
        var failed = new List<(IntentJournal.Intent Intent, string Error)>();
        foreach (var chunk in due.Chunk(Parallelism))
            await Task.WhenAll(chunk.Select(async intent =>
            {
                try
                {
                    await grains.GetGrain<IDurableGrain>(intent.GrainId).ResendAsync();
                    lock (done) done.Add(intent);
                }
                catch (Exception e)
                {
                    lock (failed) failed.Add((intent, $"{e.GetType().Name}: {e.Message}"));
                }
            }));
        await journal.CompleteAsync(done);
        await journal.PostponeAsync(failed);
        if (done.Count > 0) logger.LogInformation("Journal replay re-sent the pushes of {Count} grain(s)", done.Count);
        foreach (var (intent, error) in failed)
            logger.LogWarning("Journal replay: {Grain} failed to re-send (attempt {Attempt}): {Error}", intent.GrainId, intent.Attempts + 1, error);
        return new Report(done.Count, failed.Select(f => (f.Intent.GrainId, f.Error)).ToList());
    }
}

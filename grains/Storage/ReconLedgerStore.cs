using Flowstate.Reconciliation;
using Npgsql;
using NpgsqlTypes;

namespace Flowstate.Storage;

/// <summary>
/// The period ledger in PostgreSQL (<c>recon_ledger</c>, <c>period_observed</c>). Writes are
/// version-guarded upserts, so a replayed or reordered push never overwrites a newer one.
/// </summary>
public sealed class ReconLedgerStore(NpgsqlDataSource db)
{
    public async Task<(List<LedgerEntry> Rows, List<ObservedContribution> Observed)> LoadAsync(string org, Period period)
    {
        var rows = new List<LedgerEntry>();
        await using (var cmd = db.CreateCommand(
            "select row_id, version, provider_id, usage_date, amount, status, moved_out_to, deferred_from, observed, cause, by_contract from recon_ledger where org = $1 and period = $2"))
        {
            cmd.Parameters.AddWithValue(org);
            cmd.Parameters.AddWithValue(period.ToString());
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                rows.Add(new LedgerEntry(r.GetString(0), period, r.GetInt32(1), r.GetString(2),
                    r.GetFieldValue<DateOnly>(3), r.GetDecimal(4), (RowStatus)r.GetInt16(5),
                    r.IsDBNull(6) ? null : Period.Parse(r.GetString(6)), DeferredFrom: r.IsDBNull(7) ? null : Period.Parse(r.GetString(7)),
                    ObservedUsd: r.GetDecimal(8), Cause: (ResidualCause)r.GetInt16(9), ByContract: r.GetBoolean(10)));
        }
        var observed = new List<ObservedContribution>();
        await using (var cmd = db.CreateCommand("select partition_id, version, observed, cause from period_observed where org = $1 and period = $2"))
        {
            cmd.Parameters.AddWithValue(org);
            cmd.Parameters.AddWithValue(period.ToString());
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                observed.Add(new ObservedContribution(r.GetString(0), r.GetInt64(1), r.GetDecimal(2), r.IsDBNull(3) ? null : (ResidualCause)r.GetInt16(3)));
        }
        return (rows, observed);
    }

    private const string UpsertLedger = """
        insert into recon_ledger (org, period, row_id, version, provider_id, usage_date, amount, status, moved_out_to, deferred_from, observed, cause,
                                  external_id, subject_key, account, kind, list_amount, description, note, by_contract)
        select $1, * from unnest($2::char(7)[], $3::text[], $4::int[], $5::text[], $6::date[], $7::numeric[], $8::smallint[], $9::char(7)[], $10::char(7)[],
                                 $11::numeric[], $12::smallint[], $13::text[], $14::text[], $15::text[], $16::smallint[], $17::numeric[], $18::text[], $19::text[], $20::boolean[])
        on conflict (org, period, row_id) do update set
            version = excluded.version, provider_id = excluded.provider_id, usage_date = excluded.usage_date,
            amount = excluded.amount, status = excluded.status, moved_out_to = excluded.moved_out_to, deferred_from = excluded.deferred_from,
            observed = excluded.observed, cause = excluded.cause, external_id = excluded.external_id, subject_key = excluded.subject_key,
            account = excluded.account, kind = excluded.kind, list_amount = excluded.list_amount, description = excluded.description, note = excluded.note,
            by_contract = excluded.by_contract,
            pushed_at = clock_timestamp()
        where recon_ledger.version < excluded.version
        """;

    // One statement, so one transaction and one round trip: the ledger upsert, then the changes not
    // yet logged, numbered after the org's counter. The counter row stays locked until commit, so
    // seqs are dense and commit in order. A change logged twice would violate row_events_once and
    // fail the whole batch rather than leave a gap.
    private const string UpsertLedgerAndLog = $"""
        with ledger as ({UpsertLedger} returning 1),
        incoming as (
            select * from unnest($21::text[], $22::int[], $23::char(7)[], $24::text[], $25::smallint[], $26::smallint[],
                                 $27::smallint[], $28::text[], $29::text[], $30::timestamptz[]) with ordinality
                as i(row_id, version, period, provider_id, from_status, to_status, action, actor, note, at, ord)),
        fresh as (
            select i.*, row_number() over (order by i.ord) as n from incoming i
            where not exists (select 1 from row_events e where e.org = $1 and e.row_id = i.row_id and e.version = i.version)),
        counter as (
            insert into row_event_counters as c (org, seq) select $1, count(*) from fresh
            on conflict (org) do update set seq = c.seq + excluded.seq
            returning seq)
        insert into row_events (org, seq, row_id, version, period, provider_id, from_status, to_status, action, actor, note, at)
        select $1, counter.seq - (select count(*) from fresh) + f.n, f.row_id, f.version, f.period, f.provider_id,
               f.from_status, f.to_status, f.action, f.actor, f.note, f.at
        from fresh f cross join counter
        returning seq, row_id, version
        """;

    /// <summary>
    /// Upserts a batch of ledger entries in one statement (an entry older than the stored one is
    /// ignored) and, in the same statement, appends the status changes they carry to the org's
    /// event log. Returns the changes logged now, in seq order (none that were logged before).
    /// </summary>
    public async Task<IReadOnlyList<RowStatusChanged>> UpsertRowsAsync(string org, IReadOnlyList<LedgerEntry> entries)
    {
        // One entry per key (the newest), in key order: a statement may touch a row only once.
        var batch = entries.GroupBy(e => (e.Period, e.RowId)).Select(g => g.MaxBy(e => e.Version)!).OrderBy(e => e.RowId, StringComparer.Ordinal).ToList();
        // Changes in arrival order, each row's in version order, each change once.
        var changes = entries.SelectMany(e => (e.Changes ?? []).Select(c => (e.RowId, e.ProviderId, Change: c)))
            .DistinctBy(c => (c.RowId, c.Change.Version)).ToList();
        await using var cmd = db.CreateCommand(changes.Count == 0 ? UpsertLedger : UpsertLedgerAndLog);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(batch.Select(e => e.Period.ToString()).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.RowId).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Version).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.ProviderId).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.UsageDate).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Amount).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => (short)e.Status).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.MovedOutTo?.ToString()).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.DeferredFrom?.ToString()).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.ObservedUsd).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => (short)e.Cause).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Line?.ExternalId).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Line?.SubjectKey).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Line?.Account).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => (short)(e.Line?.Kind ?? BillingRowKind.Usage)).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Line?.ListCostUsd).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Line?.Description).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.Note).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(e => e.ByContract).ToArray());
        if (changes.Count == 0)
        {
            await cmd.ExecuteNonQueryAsync();
            return [];
        }
        cmd.Parameters.AddWithValue(changes.Select(c => c.RowId).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.Version).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.Period!.Value.ToString()).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.ProviderId).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.From is { } f ? (short?)f : null).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => (short)c.Change.To).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.Action is { } a ? (short?)a : null).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.Actor).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.Note).ToArray());
        cmd.Parameters.AddWithValue(changes.Select(c => c.Change.At.ToUniversalTime()).ToArray());

        var byKey = changes.ToDictionary(c => (c.RowId, c.Change.Version));
        var logged = new List<RowStatusChanged>(changes.Count);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            var (rowId, provider, c) = byKey[(r.GetString(1), r.GetInt32(2))];
            logged.Add(new RowStatusChanged(r.GetInt64(0), rowId, c.Version, c.Period!.Value, provider, c.From, c.To, c.Action, c.Actor, c.Note, c.At));
        }
        logged.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return logged;
    }

    /// <summary>Upserts a batch of observed contributions of one period in one statement, version-guarded.</summary>
    public async Task UpsertObservedAsync(string org, Period period, IReadOnlyList<ObservedContribution> contributions)
    {
        var batch = contributions.GroupBy(c => c.PartitionId).Select(g => g.MaxBy(c => c.Version)!).OrderBy(c => c.PartitionId, StringComparer.Ordinal).ToList();
        await using var cmd = db.CreateCommand("""
            insert into period_observed (org, period, partition_id, version, observed, cause)
            select $1, $2, * from unnest($3::text[], $4::bigint[], $5::numeric[], $6::smallint[])
            on conflict (org, period, partition_id) do update set
                version = excluded.version, observed = excluded.observed, cause = excluded.cause, pushed_at = clock_timestamp()
            where period_observed.version < excluded.version
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(period.ToString());
        cmd.Parameters.AddWithValue(batch.Select(c => c.PartitionId).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Version).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.ObservedUsd).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => (short?)c.ClaimCause).ToArray());
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>One page of a period's open ledger in inbox order (usage date, row id), keyset-paginated.</summary>
    public async Task<List<(string RowId, DateOnly UsageDate)>> PageAsync(
        string org, Period period, IReadOnlyList<RowStatus> statuses, string? providerId, (DateOnly Day, string RowId)? after, int take)
    {
        await using var cmd = db.CreateCommand("""
            select row_id, usage_date from recon_ledger
            where org = $1 and period = $2 and moved_out_to is null and status = any($3)
              and ($4::text is null or provider_id = $4)
              and ($5::date is null or (usage_date, row_id) > ($5, $6))
            order by usage_date, row_id
            limit $7
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(period.ToString());
        cmd.Parameters.AddWithValue(statuses.Select(s => (short)s).ToArray());
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)providerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = after is { } a ? a.Day : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.RowId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.AddWithValue(take);
        var page = new List<(string, DateOnly)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) page.Add((r.GetString(0), r.GetFieldValue<DateOnly>(1)));
        return page;
    }

    /// <summary>
    /// The rows deferred into <paramref name="period"/>: those that came from the month before and are
    /// here now, and those still waiting there as DEFERRED to come in (optionally one provider's).
    /// </summary>
    public async Task<List<string>> DeferredIntoAsync(string org, Period period, string? providerId)
    {
        await using var cmd = db.CreateCommand("""
            select row_id from recon_ledger
            where org = $1 and moved_out_to is null and ($4::text is null or provider_id = $4)
              and ((period = $2 and deferred_from is not null) or (period = $3 and status = 5))
            order by row_id
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(period.ToString());
        cmd.Parameters.AddWithValue(period.Previous.ToString());
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)providerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var ids = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) ids.Add(r.GetString(0));
        return ids;
    }

    /// <summary>Rows waiting as DEFERRED in a period before <paramref name="current"/>: their return is due.</summary>
    public async Task<List<string>> DueDeferralsAsync(string org, Period current)
    {
        await using var cmd = db.CreateCommand(
            "select row_id from recon_ledger where org = $1 and status = 5 and moved_out_to is null and period < $2 order by period, row_id");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(current.ToString());
        var ids = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) ids.Add(r.GetString(0));
        return ids;
    }
}

using System.Globalization;
using Flowstate.Domain;
using Flowstate.GraphQL.Types;
using Flowstate.Providers;
using Flowstate.Storage;
using Flowstate.Workforce;
using nietras.SeparatedValues;

namespace Flowstate.Silo.Exports;

/// <summary>
/// Writes an export as CSV (RFC 4180, with the Sep library) while it reads it: rows come from
/// <see cref="ExportStore"/> one keyset page at a time out of one snapshot, and each is written
/// (asynchronously) as it arrives, so a year of rows never sits in memory. The workforce (for the
/// allocation tags) and provider names are read once, before the first row.
/// </summary>
public sealed class LedgerExporter(ExportStore store, IGrainFactory grains)
{
    public static string FileName(ExportFormat format, Period period) => format switch
    {
        ExportFormat.Focus => $"flowstate-focus-{FocusRows.Version}-{period}.csv",
        ExportFormat.Rows => $"flowstate-rows-{period}.csv",
        _ => $"flowstate-attribution-{period}.csv",
    };

    /// <summary>Writes the export; returns how many data rows it wrote.</summary>
    public async Task<long> WriteAsync(ExportFormat format, string org, Period period, TextWriter output, CancellationToken ct = default)
    {
        var workforce = await grains.GetGrain<IOrgGrain>(org).GetWorkforceAsync(0) is { } snapshot ? new WorkforceModel(snapshot) : null;
        var names = await ProviderNamesAsync(org);
        await using var writer = Sep.New(',').Writer(o => o with { Escape = true, CultureInfo = CultureInfo.InvariantCulture }).To(output, leaveOpen: true);
        return format switch
        {
            ExportFormat.Focus => await FocusAsync(writer, org, period, workforce, names, ct),
            ExportFormat.Rows => await RowsAsync(writer, org, period, ct),
            _ => await AttributionAsync(writer, org, period, workforce, ct),
        };
    }

    private async Task<long> FocusAsync(SepWriter writer, string org, Period period, WorkforceModel? workforce, IReadOnlyDictionary<string, string> names, CancellationToken ct)
    {
        var columns = FocusRows.Columns.ToArray();
        writer.Header.Add(columns);
        long count = 0;
        await foreach (var row in store.LedgerAsync(org, period, confirmedOnly: true, ct: ct))
        {
            var values = FocusRows.Values(org, period, row, names.GetValueOrDefault(row.ProviderId) ?? row.ProviderId,
                Allocated.Of(workforce, FocusRows.PersonOf(row.SubjectKey), row.UsageDate));
            await WriteRowAsync(writer, columns, values, ct);
            count++;
        }
        await WriteHeaderOnlyAsync(writer, count, ct);
        return count;
    }

    private static readonly string[] RowColumns =
        ["RowId", "ProviderId", "ExternalId", "SubjectKey", "Account", "UsageDate", "Kind", "Status", "TotalCostUsd", "ListCostUsd",
         "ObservedCostUsd", "Delta", "ResidualCause", "Period", "DeferredFrom", "Note"];

    private async Task<long> RowsAsync(SepWriter writer, string org, Period period, CancellationToken ct)
    {
        writer.Header.Add(RowColumns);
        long count = 0;
        await foreach (var r in store.LedgerAsync(org, period, confirmedOnly: false, ct: ct))
        {
            await WriteRowAsync(writer, RowColumns,
            [
                r.RowId, r.ProviderId, r.ExternalId, r.SubjectKey, r.Account, r.UsageDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Wire(r.Kind.ToString()), Names.Of(r.Status), FocusRows.Money(r.Amount), r.ListAmount is { } l ? FocusRows.Money(l) : null,
                FocusRows.Money(r.Observed), FocusRows.Money(r.Amount - r.Observed), Wire(r.Cause.ToString()), period.ToString(), r.DeferredFrom?.ToString(), r.Note,
            ], ct);
            count++;
        }
        await WriteHeaderOnlyAsync(writer, count, ct);
        return count;
    }

    private static readonly string[] SessionColumns =
        ["SessionId", "StartedAt", "PersonId", "SubjectKey", "TeamId", "CostCentreId", "Allocation", "ProjectId", "ProviderId", "Model", "CostUsd", "MarketCostUsd"];

    private async Task<long> AttributionAsync(SepWriter writer, string org, Period period, WorkforceModel? workforce, CancellationToken ct)
    {
        writer.Header.Add(SessionColumns);
        long count = 0;
        await foreach (var s in store.SessionsAsync(org, period, ct: ct))
        {
            var who = Allocated.Of(workforce, s.PersonId, DateOnly.FromDateTime(s.StartedAt.UtcDateTime));
            await WriteRowAsync(writer, SessionColumns,
            [
                s.Id, FocusRows.Time(s.StartedAt), s.PersonId, s.SubjectKey, who.TeamId, who.CostCentreId, who.Split, s.ProjectId, s.ProviderId, s.Model,
                FocusRows.Money(s.CostUsd), FocusRows.Money(s.MarketCostUsd),
            ], ct);
            count++;
        }
        await WriteHeaderOnlyAsync(writer, count, ct);
        return count;
    }

    private static async ValueTask WriteRowAsync(SepWriter writer, string[] columns, string?[] values, CancellationToken ct)
    {
        await using var row = writer.NewRow(ct);
        for (var i = 0; i < columns.Length; i++) row[columns[i]].Set(values[i] ?? "");
    }

    /// <summary>An export with no rows is still a file with its header.</summary>
    private static async ValueTask WriteHeaderOnlyAsync(SepWriter writer, long count, CancellationToken ct)
    {
        if (count == 0) await writer.Header.WriteAsync(ct);
    }

    /// <summary>SeatFee → SEAT_FEE: enum names as the API writes them.</summary>
    private static string Wire(string pascal) =>
        string.Concat(pascal.Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : char.ToUpperInvariant(ch).ToString()));

    private async Task<IReadOnlyDictionary<string, string>> ProviderNamesAsync(string org)
    {
        var ids = await grains.GetGrain<IOrgGrain>(org).GetProviderIdsAsync();
        var views = await Task.WhenAll(ids.Select(id => grains.GetGrain<IProviderGrain>(GrainKeys.Join(org, id)).GetAsync()));
        return views.OfType<ProviderView>().ToDictionary(v => v.Config.Id, v => v.Config.Name, StringComparer.Ordinal);
    }
}

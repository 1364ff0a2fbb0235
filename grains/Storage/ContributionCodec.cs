using System.Text;
using Flowstate.Attribution;

namespace Flowstate.Storage;

/// <summary>
/// The binary form of a contribution's cells in <c>rollup_contrib</c>: the distinct ids once, then
/// each cell as indexes into them and its numbers. A year of an org's rollups loads as millions of
/// cells, so the form is small and reads without a string per cell.
/// </summary>
public static class ContributionCodec
{
    private const byte Format = 1;

    public static byte[] Encode(IReadOnlyList<ScopeCell> cells)
    {
        var ids = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string? id)
        {
            if (id is null) return 0;
            if (!index.TryGetValue(id, out var i)) { ids.Add(id); index[id] = i = ids.Count; }
            return i;
        }
        var refs = cells.Select(c => (Id(c.ProviderId), Id(c.Model), Id(c.ProjectId), Id(c.TeamId), Id(c.CostCentreId))).ToList();

        using var stream = new MemoryStream(16 + cells.Count * 80);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Format);
            w.Write7BitEncodedInt(ids.Count);
            foreach (var id in ids) w.Write(id);
            w.Write7BitEncodedInt(cells.Count);
            for (var i = 0; i < cells.Count; i++)
            {
                var (c, r) = (cells[i], refs[i]);
                w.Write(c.Day.DayNumber);
                w.Write7BitEncodedInt(r.Item1); w.Write7BitEncodedInt(r.Item2); w.Write7BitEncodedInt(r.Item3);
                w.Write7BitEncodedInt(r.Item4); w.Write7BitEncodedInt(r.Item5);
                w.Write(c.Metrics.IncrementalUsd); w.Write(c.Metrics.MarketUsd);
                w.Write(c.Metrics.Sessions); w.Write(c.Metrics.Tokens); w.Write(c.Metrics.FrustrationSum); w.Write(c.Metrics.FrustrationWeight);
            }
        }
        return stream.ToArray();
    }

    public static ScopeCell[] Decode(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        if (r.ReadByte() != Format) throw new InvalidDataException("Unknown rollup cell format.");
        var ids = new string?[r.Read7BitEncodedInt() + 1];
        for (var i = 1; i < ids.Length; i++) ids[i] = r.ReadString();
        var cells = new ScopeCell[r.Read7BitEncodedInt()];
        for (var i = 0; i < cells.Length; i++)
        {
            var day = DateOnly.FromDayNumber(r.ReadInt32());
            var (provider, model, project, team, costCentre) =
                (ids[r.Read7BitEncodedInt()]!, ids[r.Read7BitEncodedInt()]!, ids[r.Read7BitEncodedInt()], ids[r.Read7BitEncodedInt()], ids[r.Read7BitEncodedInt()]);
            var metrics = new UsageMetrics(r.ReadDecimal(), r.ReadDecimal(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
            cells[i] = new ScopeCell(day, provider, model, project, team, costCentre, metrics);
        }
        return cells;
    }
}

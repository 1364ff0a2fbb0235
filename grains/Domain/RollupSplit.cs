using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>
/// How one subject's month of usage becomes contributions to rollups: every usage cell is split
/// over the allocations in force on its day (money, sessions and tokens weighted by FTE; what the
/// allocations leave of 1 FTE stays unallocated), and each share goes to the org, its team and the
/// team's ancestors, its cost centre, and its project. The shares of a cell always add up to the
/// cell, so the org total equals the sum of cost centres (unallocated included) and of people.
/// </summary>
public static class RollupSplit
{
    public static List<ScopeCell> Split(IEnumerable<PartitionUsage> partitions, RollupPlan plan)
    {
        var cells = new List<ScopeCell>();
        foreach (var partition in partitions.OrderBy(p => p.ProviderId, StringComparer.Ordinal))
        foreach (var cell in partition.Cells)
        {
            var shares = plan.Segments.FirstOrDefault(s => s.From <= cell.Day && cell.Day <= s.To)?.Shares ?? [];
            var allocated = 0m;
            foreach (var share in shares)
            {
                allocated += share.Fte;
                cells.Add(new ScopeCell(cell.Day, partition.ProviderId, cell.Model, cell.ProjectId, share.TeamId, share.CostCentreId, cell.Metrics * share.Fte));
            }
            if (allocated < 1m)
                cells.Add(new ScopeCell(cell.Day, partition.ProviderId, cell.Model, cell.ProjectId, null, null,
                    allocated == 0m ? cell.Metrics : cell.Metrics * (1m - allocated)));
        }
        return cells;
    }

    /// <summary>The cells each rollup receives, by rollup scope key; the org always receives every cell.</summary>
    public static Dictionary<string, List<ScopeCell>> Targets(IReadOnlyList<ScopeCell> cells, RollupPlan plan)
    {
        var paths = plan.Segments.SelectMany(s => s.Shares).GroupBy(s => s.TeamId).ToDictionary(g => g.Key, g => g.First().TeamPath);
        var targets = new Dictionary<string, List<ScopeCell>>(StringComparer.Ordinal) { [RollupKeys.Org] = cells.ToList() };
        void To(string scope, ScopeCell cell)
        {
            if (!targets.TryGetValue(scope, out var list)) targets[scope] = list = [];
            list.Add(cell);
        }
        foreach (var cell in cells)
        {
            if (cell.CostCentreId is { } cc) To(RollupKeys.CostCentre(cc), cell);
            if (cell.ProjectId is { } project) To(RollupKeys.Project(project), cell);
            if (cell.TeamId is { } team)
                foreach (var t in paths.GetValueOrDefault(team) ?? [team]) To(RollupKeys.Team(t), cell);
        }
        return targets;
    }
}

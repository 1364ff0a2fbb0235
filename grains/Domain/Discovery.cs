using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>
/// When an org's rollups are too thin to trust: too few people, days or sessions of telemetry, or
/// too little of the workforce reporting, over the last three calendar months. The banner names
/// each missing piece and disappears by itself once every threshold is crossed.
/// </summary>
public static class Discovery
{
    public const int MinActiveDays = 14;
    public const int MinSessions = 200;
    public const double MinCoverage = 0.5;

    public static DiscoveryBanner? Banner(int headcount, RollupSlice recent)
    {
        var missing = new List<string>();
        if (headcount == 0) missing.Add("A workforce: upload cost centres, teams and people (upsertWorkforce) so that spend has owners.");
        if (recent.ActiveDays.Count < MinActiveDays)
            missing.Add($"Telemetry on at least {MinActiveDays} days in the last three months ({recent.ActiveDays.Count} so far).");
        if (recent.Total.Sessions < MinSessions)
            missing.Add($"At least {MinSessions} sessions in the last three months ({recent.Total.Sessions:0.##} so far).");
        if (headcount > 0)
        {
            var reporting = recent.ByTeamSubject.Where(e => e.Value.HasSessions).Select(e => e.Key.Subject)
                .Where(s => SubjectKeys.PersonIdOf(s) is not null).Distinct().Count();
            var ratio = (double)reporting / headcount;
            if (ratio < MinCoverage)
                missing.Add($"Telemetry from at least {MinCoverage:P0} of the workforce ({ratio:P0} so far: {reporting} of {headcount} people).");
        }
        return missing.Count == 0 ? null
            : new DiscoveryBanner("Flowstate is still discovering this org's AI usage; rollups will be stable once the data below arrives.", missing);
    }
}

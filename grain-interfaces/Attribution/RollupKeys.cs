namespace Flowstate.Attribution;

/// <summary>
/// Keys of the attribution grains. A rollup is one scope (the org, a cost centre, a team with its
/// sub-teams, a project) in one month; a subject-month is one subject's usage in one month.
/// </summary>
public static class RollupKeys
{
    public const string Org = "org";
    public static string CostCentre(string id) => "cc:" + id;
    public static string Team(string id) => "team:" + id;
    public static string Project(string id) => "project:" + id;

    public static string Rollup(string org, string scope, Period month) => GrainKeys.Join(org, scope, month.ToString());

    public static string SubjectMonth(string org, string subjectKey, Period month) => GrainKeys.Join(org, subjectKey, month.ToString());
}

namespace Flowstate;

/// <summary>The one grain storage provider every Flowstate grain persists through.</summary>
public static class GrainStorage
{
    public const string Name = "flowstate";
}

/// <summary>
/// Subject keys inside partition keys: <c>p:</c> a resolved person, <c>u:</c> a subject string no
/// person answers to (kept so it can still match), <c>k:</c> an account (API key, workspace).
/// </summary>
public static class SubjectKeys
{
    public static string Person(string personId) => "p:" + personId;
    public static string Unresolved(string subject) => "u:" + subject.Trim().ToLowerInvariant();
    public static string Account(string account) => "k:" + account.Trim();
    public static string? PersonIdOf(string subjectKey) => subjectKey.StartsWith("p:", StringComparison.Ordinal) ? subjectKey[2..] : null;
}

public static class PartitionKeys
{
    public static string Of(string org, string providerId, string subjectKey, Period month) =>
        GrainKeys.Join(org, providerId, subjectKey, month.ToString());
}

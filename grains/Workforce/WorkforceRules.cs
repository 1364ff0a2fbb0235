namespace Flowstate.Workforce;

/// <summary>
/// Checks a workforce upsert against the model as it would be after merging, and throws
/// INVALID_INPUT (or NOT_FOUND for unknown references) before anything is applied.
/// </summary>
public static class WorkforceRules
{
    public static void Validate(OrgState current, WorkforceUpsert upsert)
    {
        RequireIds("cost centre", upsert.CostCentres.Select(c => c.Id));
        RequireIds("team", upsert.Teams.Select(t => t.Id));
        RequireIds("person", upsert.People.Select(p => p.Id));
        RequireIds("project", upsert.Projects.Select(p => p.Id));
        RequireIds("value stream", upsert.ValueStreams.Select(v => v.Id));

        var costCentres = current.CostCentres.Keys.Concat(upsert.CostCentres.Select(c => c.Id)).ToHashSet();
        var streams = current.ValueStreams.Keys.Concat(upsert.ValueStreams.Select(v => v.Id)).ToHashSet();
        var teams = new Dictionary<string, Team>(current.Teams);
        foreach (var t in upsert.Teams) teams[t.Id] = t;

        foreach (var t in upsert.Teams)
        {
            if (string.IsNullOrWhiteSpace(t.Name)) throw FlowstateException.InvalidInput($"Team {t.Id} needs a name.");
            if (t.ParentId is not null && !teams.ContainsKey(t.ParentId))
                throw FlowstateException.NotFound($"Team {t.Id} names parent team {t.ParentId}, which does not exist.");
            if (t.CostCentreId is not null && !costCentres.Contains(t.CostCentreId))
                throw FlowstateException.NotFound($"Team {t.Id} names cost centre {t.CostCentreId}, which does not exist.");
            if (t.ValueStreamId is not null && !streams.Contains(t.ValueStreamId))
                throw FlowstateException.NotFound($"Team {t.Id} names value stream {t.ValueStreamId}, which does not exist.");
            var seen = new HashSet<string>();
            for (var at = t; at?.ParentId is { } parent; at = teams.GetValueOrDefault(parent))
                if (!seen.Add(parent) || parent == t.Id)
                    throw FlowstateException.InvalidInput($"Team {t.Id} would be its own ancestor (via {parent}).");
        }

        var emails = current.People.Values.Where(p => p.Email is not null && !upsert.People.Any(u => u.Id == p.Id))
            .ToDictionary(p => p.Email!.ToLowerInvariant(), p => p.Id);
        foreach (var p in upsert.People)
        {
            if (string.IsNullOrWhiteSpace(p.Name)) throw FlowstateException.InvalidInput($"Person {p.Id} needs a name.");
            if (p.Email is { } email)
            {
                if (!email.Contains('@')) throw FlowstateException.InvalidInput($"Person {p.Id}: '{email}' is not an email address.");
                if (!emails.TryAdd(email.ToLowerInvariant(), p.Id))
                    throw FlowstateException.InvalidInput($"Email {email} is used by both {emails[email.ToLowerInvariant()]} and {p.Id}.");
            }
            foreach (var a in p.Allocations)
            {
                if (!teams.ContainsKey(a.TeamId)) throw FlowstateException.NotFound($"Person {p.Id} is allocated to team {a.TeamId}, which does not exist.");
                if (a.Fte is <= 0 or > 1) throw FlowstateException.InvalidInput($"Person {p.Id}: FTE in team {a.TeamId} must be in (0, 1].");
            }
            foreach (var g in p.Allocations.GroupBy(a => a.EffectiveFrom))
                if (g.Sum(a => a.Fte) > 1)
                    throw FlowstateException.InvalidInput($"Person {p.Id}: allocations from {g.Key:yyyy-MM-dd} add up to {g.Sum(a => a.Fte)} FTE; at most 1.");
        }

        foreach (var p in upsert.Projects)
            if (string.IsNullOrWhiteSpace(p.Name)) throw FlowstateException.InvalidInput($"Project {p.Id} needs a name.");

        ValidateAliases(current, upsert);
    }

    /// <summary>
    /// An alias names one person only: it may not be another person's id, email or alias (case-insensitive),
    /// as the directory could then not tell whom a billing row or session means.
    /// </summary>
    private static void ValidateAliases(OrgState current, WorkforceUpsert upsert)
    {
        var listed = upsert.People.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var people = current.People.Values.Where(p => !listed.Contains(p.Id))
            .Select(p => (p.Id, p.Email, p.Aliases)).Concat(upsert.People.Select(p => (p.Id, p.Email, p.Aliases))).ToList();
        var claims = new Dictionary<string, (string Owner, string What)>(StringComparer.Ordinal);
        foreach (var (id, email, _) in people)
        {
            claims.TryAdd(id.ToLowerInvariant(), (id, "id"));
            if (email is not null) claims.TryAdd(email.Trim().ToLowerInvariant(), (id, "email"));
        }
        foreach (var p in upsert.People)
        {
            if (p.Aliases is not { } aliases) continue;
            if (aliases.Count > InputLimits.MaxAliases)
                throw FlowstateException.InvalidInput($"Person {p.Id} has {aliases.Count} aliases; at most {InputLimits.MaxAliases} are taken.");
            foreach (var alias in aliases)
            {
                if (string.IsNullOrWhiteSpace(alias)) throw FlowstateException.InvalidInput($"Person {p.Id} has an empty alias.");
                if (InputLimits.TextProblem(alias, InputLimits.MaxAliasLength) is { } problem)
                    throw FlowstateException.InvalidInput($"Person {p.Id}: alias {problem}");
            }
        }
        // Stored aliases of people not in this upsert first: they hold their claims.
        foreach (var (id, _, aliases) in people)
            foreach (var alias in aliases ?? [])
            {
                var key = alias.Trim().ToLowerInvariant();
                if (claims.TryGetValue(key, out var claim) && claim.Owner != id)
                    throw FlowstateException.InvalidInput(claim.What == "alias"
                        ? $"Alias {alias.Trim()} is claimed by both {claim.Owner} and {id}."
                        : $"Alias {alias.Trim()} of {id} is already the {claim.What} of {claim.Owner}.");
                claims.TryAdd(key, (id, "alias"));
            }
    }

    /// <summary>Aliases as stored: trimmed, each once (first spelling kept), none as null.</summary>
    public static IReadOnlyList<string>? StoredAliases(IReadOnlyList<string>? aliases)
    {
        var list = (aliases ?? []).Select(a => a.Trim()).DistinctBy(a => a.ToLowerInvariant()).ToList();
        return list.Count == 0 ? null : list;
    }

    private static void RequireIds(string kind, IEnumerable<string> ids)
    {
        var seen = new HashSet<string>();
        foreach (var id in ids)
        {
            if (string.IsNullOrWhiteSpace(id) || id.Length > GrainKeys.MaxIdLength)
                throw FlowstateException.InvalidInput($"Every {kind} needs an id of 1 to {GrainKeys.MaxIdLength} characters.");
            if (!seen.Add(id)) throw FlowstateException.InvalidInput($"The {kind} id {id} appears twice in this upsert.");
        }
    }
}

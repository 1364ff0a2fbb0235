using Flowstate.Domain;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Workforce;

namespace Flowstate.Demo;

// A believable demo org ("Acme", ~220 people, 8 AI providers, 90 days of sessions and bills).
// Deterministic: one seeded System.Random drives everything, so the same (today, seed) always
// gives the same dataset. Only plain contract objects are produced: no Orleans, no I/O.
//
// Billing rows are derived FROM the generated sessions (each subject-day's observed cost is
// computed with Pricing.Price, exactly as the silo will price it), then bent on purpose so
// that every inbox bucket has rows for the reasons the product exists:
//   AUTO_MATCHED  billed == observed for a person-day; or billed rounded to cents
//                 (within max($0.01, 1%)).
//   SUGGESTED     billed 2–8% off observed (within the 10% suggest tolerance);
//                 billing lag: usage of day d booked on d+1 (a day with no usage of its own);
//                 shared API keys: OpenAI rows naming only the key (Account), billed = the key's
//                 day total across everyone who used it;
//                 seats (Kind = Seat) of people who used the tool that month.
//   UNRECONCILED  trial / idle seats (no sessions that month, incl. people who never installed
//                 the agent); the sales copilot ("gong") has no telemetry at all, so its seats
//                 and its "Retainer drawdown" rows cannot match; a few usage rows way off (>10%);
//                 usage billed for people whose agent sends nothing, or on a personal OpenAI key
//                 that leaked into an unwatched job (days without sessions); a negative CREDIT row
//                 (Anthropic) and a seat-proration ADJUSTMENT (Cursor), reviewed by hand.
// Cursor bills per-person on-demand usage only once the month's included usage ($20) is used
// up (the day that crosses the allowance is absorbed), so most Cursor users only have seats.
// Bills run through yesterday; sessions run through this morning (UTC).
public sealed record DemoDataset(
    WorkforceUpsert Workforce,
    IReadOnlyList<ProviderConfig> Providers,
    IReadOnlyList<(string ProviderId, IReadOnlyList<BillingRowRequest> Rows)> BillingPulls,
    IReadOnlyList<SessionRequest> Sessions)
{
    public const string EmailDomain = "acme.example";
    public const int Days = 90;

    public static DemoDataset Generate(DateOnly today, int seed = 20261123) => new DemoGenerator(today, seed).Run();
}

file enum Role { Leader, Engineer, DataEngineer, MlEngineer, Analyst, ProductManager, Designer, Marketer, Sales, Success, Legal, Finance, People }

file enum Profile { BillingOnly, Chat, ClaudeCode, CursorLight, CursorHeavy, Copilot, GeminiCli, OpenAiPersonal, OpenAiSharedJob, Image, Video, Legal }

file enum SubjectStyle { Email, PersonId }

file sealed record TeamSpec(string Id, string Name, string? Parent, string CostCentre, string? ValueStream, int Headcount, Role Role, string[] Projects);

file sealed record Access(string ProviderId, Profile Profile, double ActiveProb, int MaxSessions, SubjectStyle Style, string? ApiKeyId);

file sealed class DemoPerson
{
    public required string Id { get; init; }
    public required string Email { get; init; }
    public required string Name { get; init; }
    public required PersonKind Kind { get; init; }
    public required Role Role { get; init; }
    public required TeamSpec Team { get; init; }
    public required List<Allocation> Allocations { get; init; }
    public required bool Emea { get; init; }
    public DateOnly ActiveFrom { get; set; }
    public bool Telemetry { get; set; } = true;
    public List<Access> Access { get; } = [];
    public bool Has(string providerId) => Access.Any(a => a.ProviderId == providerId);
}

/// <summary>An observed session with its priced cost, as the silo will see it.</summary>
file sealed record Priced(string ProviderId, string PersonId, string? ApiKeyId, DateOnly Day, decimal Cost, decimal Market);

file sealed class DemoGenerator(DateOnly today, int seed)
{
    // Provider ids.
    private const string Cursor = "cursor", Anthropic = "anthropic", OpenAi = "openai", Copilot = "copilot",
        Midjourney = "midjourney", Runway = "runway", Harvey = "harvey", Gong = "gong", Gemini = "gemini", Sora = "sora";

    private const string KeySharedData = "key_shared_data", KeySharedMl = "key_shared_ml", KeyCiEvals = "key_ci_evals";

    private readonly Random rng = new(seed);
    private readonly DateOnly start = today.AddDays(-(DemoDataset.Days - 1));
    private readonly DateOnly billEnd = today.AddDays(-1);

    // Model launch / re-price dates inside the window, to exercise effective-dated prices.
    private DateOnly ComposerLaunch => start.AddDays(24);
    private DateOnly O3Reprice => start.AddDays(40);
    private DateOnly Opus45Launch => start.AddDays(58);
    private DateOnly PriceBase => today.AddDays(-420);

    private readonly List<DemoPerson> people = [];
    private readonly List<SessionRequest> sessions = [];
    private readonly List<Priced> priced = [];
    private Dictionary<string, ProviderConfig> providers = new();

    public DemoDataset Run()
    {
        providers = BuildProviders().ToDictionary(p => p.Id);
        var workforce = BuildWorkforce();
        AssignAccess();
        GenerateSessions();
        var pulls = BuildBilling();
        return new DemoDataset(workforce, providers.Values.ToList(), pulls, sessions);
    }

    // ───────────────────────────── providers ─────────────────────────────

    private IEnumerable<ProviderConfig> BuildProviders()
    {
        var b = PriceBase;
        ModelPrice P(string model, decimal input, decimal output, decimal cached, DateOnly? from = null) =>
            new(model, input, output, cached, from ?? b);

        yield return new(Cursor, "Cursor", "coding", new ProviderPlan(40m, 20m, 0m),
        [
            P("auto", 1.25m, 6.00m, 0.25m),
            P("claude-4.5-sonnet", 3.00m, 15.00m, 0.30m),
            P("gpt-5", 1.25m, 10.00m, 0.125m),
            P("composer-1", 1.25m, 10.00m, 0.125m, ComposerLaunch),
        ], MatchTolerance.Default);

        yield return new(Anthropic, "Anthropic (Claude Enterprise & API)", "chat", new ProviderPlan(0m, 0m, 0.10m),
        [
            P("claude-haiku-4-5", 1.00m, 5.00m, 0.10m),
            P("claude-sonnet-4-5", 3.00m, 15.00m, 0.30m),
            P("claude-opus-4-1", 15.00m, 75.00m, 1.50m),
            P("claude-opus-4-5", 5.00m, 25.00m, 0.50m, Opus45Launch),
        ], MatchTolerance.Default);

        yield return new(OpenAi, "OpenAI API", "api", ProviderPlan.None,
        [
            P("gpt-5", 1.25m, 10.00m, 0.125m),
            P("gpt-5-mini", 0.25m, 2.00m, 0.025m),
            P("gpt-4.1", 2.00m, 8.00m, 0.50m),
            P("o3", 10.00m, 40.00m, 2.50m),
            P("o3", 2.00m, 8.00m, 0.50m, O3Reprice),
            P("text-embedding-3-large", 0.13m, 0m, 0m),
        ], MatchTolerance.Default);

        yield return new(Copilot, "GitHub Copilot Enterprise", "coding", new ProviderPlan(39m, 10m, 0m),
        [
            P("gpt-4.1", 2.00m, 8.00m, 0.50m),
            P("claude-sonnet-4.5", 3.00m, 15.00m, 0.30m),
            P("gpt-5-mini", 0.25m, 2.00m, 0.025m),
            P("gemini-2.5-pro", 1.25m, 10.00m, 0.31m),
        ], MatchTolerance.Default);

        // Image and video tools bill GPU time / credits; their agents report each session's cost,
        // so token prices are nominal (prompt tokens only).
        yield return new(Midjourney, "Midjourney", "image", new ProviderPlan(30m, 0m, 0m),
        [
            P("midjourney-v7", 0.50m, 0m, 0m),
            P("niji-6", 0.50m, 0m, 0m),
        ], MatchTolerance.Default);

        yield return new(Runway, "Runway", "video", new ProviderPlan(0m, 0m, 0.15m),
        [
            P("gen-4", 0.50m, 0m, 0m),
            P("gen-4-turbo", 0.50m, 0m, 0m),
        ], MatchTolerance.Default);

        // Harvey's seat includes the assistant's usage (fair use), so its sessions are inside the seat.
        yield return new(Harvey, "Harvey", "legal", new ProviderPlan(150m, 2000m, 0m),
        [
            P("harvey-assistant", 10.00m, 30.00m, 1.00m),
            P("harvey-vault", 5.00m, 15.00m, 0.50m),
        ], MatchTolerance.Default);

        // Sales call copilot: billing only (seats plus a prepaid retainer), no agent telemetry.
        yield return new(Gong, "Gong (sales copilot)", "sales", new ProviderPlan(110m, 0m, 0m), [], MatchTolerance.Default);

        // A few engineers try Gemini CLI: its agent reports, but Google bills it on the cloud invoice,
        // which nobody has imported yet (telemetry only).
        yield return new(Gemini, "Gemini CLI (Google Cloud)", "coding", ProviderPlan.None,
        [
            P("gemini-2.5-pro", 1.25m, 10.00m, 0.31m),
            P("gemini-2.5-flash", 0.30m, 2.50m, 0.075m),
        ], MatchTolerance.Default);

        // Approved for a video trial, not rolled out: configured, nothing sent yet (not monitored).
        yield return new(Sora, "Sora (video trial)", "video", ProviderPlan.None, [P("sora-2", 0.10m, 0m, 0m)], MatchTolerance.Default);
    }

    // ───────────────────────────── workforce ─────────────────────────────

    private static readonly string[] FirstNames =
    [
        "Aisha", "Alex", "Amara", "Ana", "Andre", "Anika", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Daniel", "Dara",
        "David", "Diego", "Elena", "Emeka", "Emma", "Ethan", "Fatima", "Felix", "Freya", "Gabriel", "Hana", "Hiro",
        "Ibrahim", "Ines", "Isaac", "Jack", "Jana", "Javier", "Jin", "Julia", "Kai", "Karim", "Kofi", "Lara", "Leo",
        "Lina", "Lucas", "Maya", "Mateo", "Mei", "Mia", "Nadia", "Naomi", "Nikhil", "Noah", "Olivia", "Omar", "Priya",
        "Rafael", "Rania", "Ravi", "Rosa", "Ruben", "Sakura", "Samir", "Sara", "Sofia", "Tariq", "Theo", "Tomas",
        "Valentina", "Victor", "Wei", "Yara", "Yusuf", "Zara", "Zoe", "Marcus", "Ingrid", "Pablo", "Keiko", "Oskar",
        "Leila", "Arjun", "Hannah", "Niamh", "Owen",
    ];

    private static readonly string[] LastNames =
    [
        "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brennan", "Castillo", "Chen", "Costa", "Dubois",
        "Eriksson", "Fischer", "Fernandes", "Garcia", "Gupta", "Haddad", "Hansen", "Hoffmann", "Ibrahim", "Ivanova",
        "Jensen", "Kaur", "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Murphy",
        "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Pereira", "Petrov", "Popescu", "Quinn",
        "Rahman", "Reyes", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Smith", "Sorensen", "Suzuki", "Tanaka",
        "Taylor", "Torres", "Tran", "Varga", "Vogel", "Walsh", "Wang", "Weber", "Williams", "Wong", "Yilmaz", "Young",
        "Zhang", "Zimmermann", "Oduya", "Brooks", "Hughes", "Lindqvist", "Mendes", "Nair", "Ortiz", "Richter", "Santos",
        "Volkov", "Yamamoto",
    ];

    private static readonly (string Id, string Name, string[] Repos)[] ProjectSpecs =
    [
        ("proj-payments-api", "Payments API", ["github.com/acme/payments-api", "github.com/acme/payments-sdk"]),
        ("proj-ledger", "Ledger", ["github.com/acme/ledger-service"]),
        ("proj-risk", "Risk Engine", ["github.com/acme/risk-engine", "github.com/acme/fraud-models"]),
        ("proj-checkout", "Checkout", ["github.com/acme/checkout-web", "github.com/acme/checkout-api"]),
        ("proj-onboarding", "Onboarding Flow", ["github.com/acme/onboarding-web", "github.com/acme/kyc-service"]),
        ("proj-mobile", "Mobile App", ["github.com/acme/mobile-ios", "github.com/acme/mobile-android", "github.com/acme/mobile-shared"]),
        ("proj-k8s-platform", "Kubernetes Platform", ["github.com/acme/platform-k8s", "github.com/acme/infra-terraform"]),
        ("proj-devtools", "Developer Tooling", ["github.com/acme/dev-cli", "github.com/acme/ci-pipelines"]),
        ("proj-data-platform", "Data Platform", ["github.com/acme/data-pipelines", "github.com/acme/dbt-models"]),
        ("proj-recsys", "Recommendations", ["github.com/acme/ml-recsys", "github.com/acme/feature-store"]),
        ("proj-design-system", "Design System", ["github.com/acme/design-system"]),
        ("proj-brand-refresh", "Brand Refresh 2026", ["github.com/acme/marketing-site", "github.com/acme/brand-assets"]),
        ("proj-experiments", "Experimentation Platform", ["github.com/acme/exp-service"]),
    ];

    /// <summary>Repos nobody mapped to a project: sessions there stay "unmatched".</summary>
    private static readonly string[] StrayRepos =
        ["github.com/acme/dotfiles", "github.com/acme/oncall-runbooks", "github.com/acme/scratch", "github.com/acme/hackweek-2026"];

    private static readonly TeamSpec[] TeamSpecs =
    [
        new("t-eng", "Engineering", null, "cc-eng", null, 2, Role.Leader, []),
        new("t-platform", "Platform", "t-eng", "cc-eng", "vs-platform", 1, Role.Leader, []),
        new("t-infra", "Infrastructure", "t-platform", "cc-eng", "vs-platform", 10, Role.Engineer, ["proj-k8s-platform", "proj-devtools"]),
        new("t-sre", "Site Reliability", "t-platform", "cc-eng", "vs-platform", 8, Role.Engineer, ["proj-k8s-platform", "proj-payments-api"]),
        new("t-devex", "Developer Experience", "t-platform", "cc-eng", "vs-platform", 7, Role.Engineer, ["proj-devtools", "proj-k8s-platform"]),
        new("t-product-eng", "Product Engineering", "t-eng", "cc-eng", null, 1, Role.Leader, []),
        new("t-payments", "Payments", "t-product-eng", "cc-eng", "vs-payments", 1, Role.Leader, []),
        new("t-payments-core", "Payments Core", "t-payments", "cc-eng", "vs-payments", 12, Role.Engineer, ["proj-payments-api", "proj-ledger", "proj-checkout"]),
        new("t-payments-risk", "Risk & Fraud", "t-payments", "cc-eng", "vs-payments", 9, Role.Engineer, ["proj-risk", "proj-payments-api"]),
        new("t-growth-eng", "Growth Engineering", "t-product-eng", "cc-eng", "vs-growth", 1, Role.Leader, []),
        new("t-onboarding", "Onboarding", "t-growth-eng", "cc-eng", "vs-growth", 8, Role.Engineer, ["proj-onboarding", "proj-checkout"]),
        new("t-experiments", "Experimentation", "t-growth-eng", "cc-eng", "vs-growth", 6, Role.Engineer, ["proj-experiments", "proj-onboarding"]),
        new("t-mobile", "Mobile", "t-product-eng", "cc-eng", "vs-growth", 10, Role.Engineer, ["proj-mobile", "proj-checkout"]),
        new("t-security", "Security", "t-eng", "cc-eng", "vs-platform", 6, Role.Engineer, ["proj-k8s-platform", "proj-payments-api", "proj-devtools"]),
        new("t-data", "Data & AI", null, "cc-data", null, 1, Role.Leader, []),
        new("t-data-eng", "Data Engineering", "t-data", "cc-data", "vs-platform", 8, Role.DataEngineer, ["proj-data-platform"]),
        new("t-ml", "Machine Learning", "t-data", "cc-data", null, 1, Role.Leader, []),
        new("t-ml-research", "ML Research", "t-ml", "cc-data", "vs-payments", 6, Role.MlEngineer, ["proj-risk", "proj-recsys"]),
        new("t-ml-platform", "ML Platform", "t-ml", "cc-data", "vs-platform", 6, Role.MlEngineer, ["proj-recsys", "proj-data-platform"]),
        new("t-analytics", "Analytics", "t-data", "cc-data", "vs-growth", 7, Role.Analyst, ["proj-data-platform", "proj-experiments"]),
        new("t-product", "Product & Design", null, "cc-prod", null, 1, Role.Leader, []),
        new("t-pm", "Product Management", "t-product", "cc-prod", null, 9, Role.ProductManager, ["proj-payments-api", "proj-onboarding", "proj-mobile", "proj-checkout", "proj-experiments"]),
        new("t-design", "Design", "t-product", "cc-prod", null, 1, Role.Leader, []),
        new("t-ux", "UX Design", "t-design", "cc-prod", "vs-growth", 7, Role.Designer, ["proj-design-system", "proj-onboarding", "proj-mobile"]),
        new("t-brand", "Brand Studio", "t-design", "cc-prod", null, 5, Role.Designer, ["proj-brand-refresh", "proj-design-system"]),
        new("t-gtm", "Go-to-Market", null, "cc-gtm", null, 1, Role.Leader, []),
        new("t-sales", "Sales", "t-gtm", "cc-gtm", null, 1, Role.Leader, []),
        new("t-sales-na", "Sales — North America", "t-sales", "cc-gtm", null, 14, Role.Sales, []),
        new("t-sales-emea", "Sales — EMEA", "t-sales", "cc-gtm", null, 11, Role.Sales, []),
        new("t-marketing", "Marketing", "t-gtm", "cc-gtm", null, 1, Role.Leader, []),
        new("t-content", "Content", "t-marketing", "cc-gtm", null, 6, Role.Marketer, ["proj-brand-refresh"]),
        new("t-growth-mktg", "Growth Marketing", "t-marketing", "cc-gtm", "vs-growth", 6, Role.Marketer, ["proj-brand-refresh", "proj-onboarding"]),
        new("t-cs", "Customer Success", "t-gtm", "cc-gtm", null, 10, Role.Success, []),
        new("t-ga", "G&A", null, "cc-ga", null, 1, Role.Leader, []),
        new("t-finance", "Finance", "t-ga", "cc-ga", null, 7, Role.Finance, []),
        new("t-legal", "Legal", "t-ga", "cc-ga", null, 5, Role.Legal, []),
        new("t-people", "People", "t-ga", "cc-ga", null, 6, Role.People, []),
    ];

    /// <summary>Teams that take contractors, and how many.</summary>
    private static readonly (string Team, int Count)[] ContractorSeats =
        [("t-infra", 3), ("t-mobile", 4), ("t-payments-core", 3), ("t-onboarding", 2), ("t-ux", 2), ("t-content", 2), ("t-data-eng", 2)];

    private WorkforceUpsert BuildWorkforce()
    {
        var costCentres = new List<CostCentre>
        {
            new("cc-eng", "Engineering"), new("cc-data", "Data & AI"), new("cc-prod", "Product & Design"),
            new("cc-gtm", "Go-to-Market"), new("cc-ga", "General & Administrative"),
        };
        var streams = new List<ValueStream>
        {
            new("vs-payments", "Payments"), new("vs-growth", "Growth & Onboarding"), new("vs-platform", "Platform & Reliability"),
        };
        var teams = TeamSpecs.Select(t => new Team(t.Id, t.Name, t.Parent, t.CostCentre, t.ValueStream)).ToList();
        var projects = ProjectSpecs.Select(p => new Project(p.Id, p.Name, p.Repos)).ToList();

        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var n = 0;
        foreach (var team in TeamSpecs)
        {
            for (var i = 0; i < team.Headcount; i++) AddPerson(team, PersonKind.Employee);
            foreach (var (_, count) in ContractorSeats.Where(c => c.Team == team.Id))
                for (var i = 0; i < count; i++) AddPerson(team, PersonKind.Contractor);
        }

        void AddPerson(TeamSpec team, PersonKind kind)
        {
            string first, last;
            do
            {
                first = Pick(FirstNames);
                last = Pick(LastNames);
            } while (!usedNames.Add(first + " " + last));
            n++;
            var emea = team.Id switch
            {
                "t-sales-emea" => true,
                "t-sales-na" => false,
                _ => rng.NextDouble() < 0.45,
            };
            var from = today.AddDays(-rng.Next(350, 400));
            var fte = kind == PersonKind.Contractor ? Pick([0.5m, 0.6m, 0.8m, 1.0m]) : 1.0m;
            people.Add(new DemoPerson
            {
                Id = $"p{n:D4}",
                Email = $"{Slug(first)}.{Slug(last)}@{DemoDataset.EmailDomain}",
                Name = $"{first} {last}",
                Kind = kind,
                Role = team.Role,
                Team = team,
                Allocations = [new Allocation(team.Id, fte, from)],
                Emea = emea,
                ActiveFrom = start,
            });
        }

        // About 8% split their time across two teams (a sibling or a team doing the same work).
        var splitCount = (int)Math.Round(people.Count * 0.08);
        foreach (var p in Shuffled(people).Where(p => p.Role != Role.Leader).Take(splitCount))
        {
            var candidates = TeamSpecs.Where(t => t.Id != p.Team.Id && t.Role != Role.Leader &&
                                                  (t.Parent == p.Team.Parent || t.Role == p.Team.Role)).ToArray();
            if (candidates.Length == 0) continue;
            var other = Pick(candidates);
            var total = p.Allocations[0].Fte;
            var share = Pick([0.5m, 0.6m, 0.7m, 0.8m]);
            var from = p.Allocations[0].EffectiveFrom;
            p.Allocations.Clear();
            p.Allocations.Add(new Allocation(p.Team.Id, total * share, from));
            p.Allocations.Add(new Allocation(other.Id, total * (1 - share), from));
        }

        // A handful of recent hires: allocated (and active) only from a day inside the window.
        foreach (var p in Shuffled(people).Where(p => p.Role is not Role.Leader && p.Allocations.Count == 1).Take(6))
        {
            var joined = start.AddDays(rng.Next(10, 70));
            p.ActiveFrom = joined;
            p.Allocations[0] = p.Allocations[0] with { EffectiveFrom = joined };
        }

        // Three people changed team inside the window (effective-dated): spend before the move stays
        // with their old team, spend after it goes to the new one.
        foreach (var p in Shuffled(people).Where(p => p.Role is not Role.Leader && p.Allocations.Count == 1 && p.ActiveFrom == start).Take(3))
        {
            var to = TeamSpecs.Where(t => t.Role == p.Team.Role && t.Id != p.Team.Id).ToArray();
            if (to.Length > 0) p.Allocations.Add(new Allocation(Pick(to).Id, p.Allocations[0].Fte, start.AddDays(rng.Next(30, 60))));
        }

        // About 8% never send telemetry (agent not installed or blocked).
        foreach (var p in Shuffled(people).Take((int)Math.Round(people.Count * 0.08))) p.Telemetry = false;

        var peopleOut = people.Select(p => new Person(p.Id, p.Email, p.Name, p.Kind, p.Allocations.ToList())).ToList();
        return new WorkforceUpsert(costCentres, teams, peopleOut, projects, streams);
    }

    private void AssignAccess()
    {
        foreach (var p in people)
        {
            void Add(string provider, Profile profile, double lo, double hi, int maxSessions, string? key = null,
                     SubjectStyle? style = null) =>
                p.Access.Add(new Access(provider, profile, lo + rng.NextDouble() * (hi - lo), maxSessions,
                    style ?? (rng.NextDouble() < 0.65 ? SubjectStyle.Email : SubjectStyle.PersonId), key));
            bool Chance(double probability) => rng.NextDouble() < probability;

            switch (p.Role)
            {
                case Role.Engineer:
                    var cursorUser = Chance(0.62);
                    if (cursorUser)
                        Add(Cursor, Chance(0.3) ? Profile.CursorHeavy : Profile.CursorLight, 0.45, 0.9, 5);
                    if ((!cursorUser && Chance(0.75)) || (cursorUser && Chance(0.08)))
                        Add(Copilot, Profile.Copilot, 0.4, 0.85, 4);
                    if (Chance(0.45)) Add(Anthropic, Profile.ClaudeCode, 0.25, 0.7, 3);
                    if (Chance(0.1)) Add(Gemini, Profile.GeminiCli, 0.15, 0.5, 2);
                    if (p.Team.Id == "t-devex" && Chance(0.45)) Add(OpenAi, Profile.OpenAiSharedJob, 0.2, 0.5, 2, KeyCiEvals);
                    else if (Chance(0.15)) Add(OpenAi, Profile.OpenAiPersonal, 0.15, 0.5, 3, $"key_u_{p.Id}");
                    break;
                case Role.DataEngineer:
                    if (Chance(0.8)) Add(OpenAi, Profile.OpenAiSharedJob, 0.3, 0.7, 3, KeySharedData);
                    if (Chance(0.45)) Add(Anthropic, Profile.ClaudeCode, 0.2, 0.6, 3);
                    if (Chance(0.45)) Add(Cursor, Profile.CursorLight, 0.35, 0.8, 4);
                    break;
                case Role.MlEngineer:
                    if (Chance(0.85))
                        Add(OpenAi, Profile.OpenAiSharedJob, 0.3, 0.7, 3, p.Team.Id == "t-ml-platform" && Chance(0.35) ? KeyCiEvals : KeySharedMl);
                    if (Chance(0.55)) Add(Anthropic, Profile.ClaudeCode, 0.2, 0.6, 3);
                    if (Chance(0.5)) Add(Cursor, Chance(0.4) ? Profile.CursorHeavy : Profile.CursorLight, 0.35, 0.8, 4);
                    break;
                case Role.Analyst:
                    if (Chance(0.5)) Add(OpenAi, Profile.OpenAiSharedJob, 0.2, 0.5, 2, KeySharedData);
                    if (Chance(0.6)) Add(Anthropic, Profile.Chat, 0.25, 0.6, 3);
                    if (Chance(0.1)) Add(Cursor, Profile.CursorLight, 0.2, 0.5, 3);
                    break;
                case Role.ProductManager:
                    if (Chance(0.8)) Add(Anthropic, Profile.Chat, 0.3, 0.7, 4);
                    if (Chance(0.3)) Add(OpenAi, Profile.OpenAiPersonal, 0.15, 0.4, 3, $"key_u_{p.Id}");
                    if (Chance(0.15)) Add(Cursor, Profile.CursorLight, 0.1, 0.3, 2);
                    if (Chance(0.1)) Add(Midjourney, Profile.Image, 0.05, 0.2, 2);
                    break;
                case Role.Designer:
                    if (Chance(0.8)) Add(Midjourney, Profile.Image, 0.3, 0.7, 4);
                    if (Chance(0.35)) Add(Runway, Profile.Video, 0.1, 0.35, 2);
                    if (Chance(0.5)) Add(Anthropic, Profile.Chat, 0.15, 0.5, 3);
                    break;
                case Role.Marketer:
                    if (Chance(0.55)) Add(Midjourney, Profile.Image, 0.2, 0.6, 3);
                    if (Chance(0.5)) Add(Runway, Profile.Video, 0.1, 0.4, 2);
                    if (Chance(0.45)) Add(OpenAi, Profile.OpenAiPersonal, 0.2, 0.5, 3, $"key_u_{p.Id}");
                    if (Chance(0.45)) Add(Anthropic, Profile.Chat, 0.2, 0.5, 3);
                    break;
                case Role.Sales:
                    if (Chance(0.95)) Add(Gong, Profile.BillingOnly, 0, 0, 0);
                    if (Chance(0.3)) Add(Anthropic, Profile.Chat, 0.15, 0.45, 2);
                    if (Chance(0.15)) Add(OpenAi, Profile.OpenAiPersonal, 0.1, 0.3, 2, $"key_u_{p.Id}");
                    break;
                case Role.Success:
                    if (Chance(0.5)) Add(Gong, Profile.BillingOnly, 0, 0, 0);
                    if (Chance(0.55)) Add(Anthropic, Profile.Chat, 0.2, 0.5, 3);
                    break;
                case Role.Legal:
                    Add(Harvey, Profile.Legal, 0.4, 0.8, 4, style: SubjectStyle.PersonId);
                    if (Chance(0.4)) Add(Anthropic, Profile.Chat, 0.15, 0.4, 2);
                    break;
                case Role.Finance or Role.People:
                    if (Chance(0.5)) Add(Anthropic, Profile.Chat, 0.15, 0.5, 3);
                    if (Chance(0.2)) Add(OpenAi, Profile.OpenAiPersonal, 0.1, 0.3, 2, $"key_u_{p.Id}");
                    break;
                case Role.Leader:
                    if (Chance(0.8)) Add(Anthropic, Profile.Chat, 0.3, 0.7, 3);
                    if (Chance(0.25)) Add(OpenAi, Profile.OpenAiPersonal, 0.1, 0.3, 2, $"key_u_{p.Id}");
                    if (Chance(0.1)) Add(Cursor, Profile.CursorLight, 0.05, 0.2, 2);
                    break;
            }
            // Everyone has at least the company chat assistant, even if they rarely open it.
            if (p.Access.All(a => a.ProviderId == Gong)) Add(Anthropic, Profile.Chat, 0.08, 0.3, 2);
        }
    }

    // ───────────────────────────── sessions ─────────────────────────────

    private static readonly Dictionary<string, double> FrustrationByModel = new(StringComparer.Ordinal)
    {
        ["claude-haiku-4-5"] = 0.28, ["claude-sonnet-4-5"] = 0.14, ["claude-opus-4-1"] = 0.11, ["claude-opus-4-5"] = 0.08,
        ["gpt-5"] = 0.16, ["gpt-5-mini"] = 0.27, ["gpt-4.1"] = 0.23, ["o3"] = 0.18, ["text-embedding-3-large"] = 0.02,
        ["auto"] = 0.25, ["composer-1"] = 0.19, ["claude-4.5-sonnet"] = 0.13, ["claude-sonnet-4.5"] = 0.15,
        ["gemini-2.5-pro"] = 0.2, ["gemini-2.5-flash"] = 0.25, ["midjourney-v7"] = 0.21, ["niji-6"] = 0.26, ["gen-4"] = 0.3, ["gen-4-turbo"] = 0.36,
        ["harvey-assistant"] = 0.15, ["harvey-vault"] = 0.12,
    };

    private static readonly string[] ChatApps = ["claude.ai", "Claude Desktop", "Slack", "Raycast", "Chrome"];
    private static readonly string[] CodePaths =
        ["src/handlers", "src/services", "src/api", "internal/store", "pkg/client", "app/components", "tests/integration", "infra/modules", "scripts"];
    private static readonly string[] CodeFiles = ["index.ts", "handler.go", "service.py", "client.kt", "main.tf", "Store.swift", "schema.sql", "README.md"];

    private void GenerateSessions()
    {
        var seq = 0;
        for (var day = start; day <= today; day = day.AddDays(1))
        {
            var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            foreach (var p in people)
            {
                if (!p.Telemetry || day < p.ActiveFrom) continue;
                foreach (var a in p.Access)
                {
                    if (a.ProviderId == Gong) continue;  // no telemetry at all
                    var active = a.ActiveProb * (weekend ? 0.07 : 1);
                    if (rng.NextDouble() >= active) continue;
                    var count = 1 + rng.Next(0, Math.Max(1, a.MaxSessions));
                    for (var i = 0; i < count; i++)
                    {
                        var s = MakeSession(++seq, p, a, day);
                        if (s is null) { seq--; continue; }
                        sessions.Add(s);
                    }
                }
            }
        }
    }

    private SessionRequest? MakeSession(int seq, DemoPerson p, Access a, DateOnly day)
    {
        // Working hours in UTC by region; today's sessions only up to the early morning.
        var (fromHour, toHour) = p.Emea ? (7, 19) : (14, 24);
        var minute = rng.Next(fromHour * 60, toHour * 60);
        if (day == today && minute >= 10 * 60) return null;
        var started = new DateTimeOffset(day.Year, day.Month, day.Day, 0, 0, 0, TimeSpan.Zero).AddMinutes(minute).AddSeconds(rng.Next(60));

        var model = PickModel(a.Profile, day);
        long input = 0, output = 0, cached = 0;
        int? turns;
        int minutes;
        decimal? reported = null;
        string? projectId = null;
        SessionContext? context;
        var projects = p.Team.Projects;

        switch (a.Profile)
        {
            case Profile.Chat:
                input = Between(1_500, 30_000);
                cached = rng.NextDouble() < 0.5 ? 0 : Between(2_000, 60_000);
                output = Between(800, 8_000);
                turns = rng.Next(2, 19);
                minutes = rng.Next(2, 46);
                context = new SessionContext(null, null, Pick(ChatApps));
                if (projects.Length > 0 && rng.NextDouble() < 0.15) projectId = Pick(projects);
                break;
            case Profile.ClaudeCode:
                input = Between(20_000, 180_000);
                cached = Between(200_000, 4_000_000);
                output = Between(5_000, 60_000);
                turns = rng.Next(8, 81);
                minutes = rng.Next(10, 151);
                (context, projectId) = CodeContext(projects, "Claude Code");
                break;
            case Profile.CursorLight or Profile.CursorHeavy:
                var heavy = a.Profile == Profile.CursorHeavy;
                input = heavy ? Between(40_000, 160_000) : Between(4_000, 50_000);
                cached = heavy ? Between(300_000, 1_500_000) : Between(10_000, 300_000);
                output = heavy ? Between(10_000, 40_000) : Between(1_000, 12_000);
                turns = heavy ? rng.Next(10, 71) : rng.Next(2, 26);
                minutes = rng.Next(5, heavy ? 181 : 91);
                (context, projectId) = CodeContext(projects, "Cursor");
                break;
            case Profile.Copilot or Profile.GeminiCli:
                input = Between(2_000, 30_000);
                cached = rng.NextDouble() < 0.3 ? 0 : Between(5_000, 100_000);
                output = Between(500, 8_000);
                turns = rng.Next(1, 21);
                minutes = rng.Next(5, 121);
                (context, projectId) = CodeContext(projects, a.Profile == Profile.GeminiCli ? "Gemini CLI" : rng.NextDouble() < 0.7 ? "VS Code" : "JetBrains");
                break;
            case Profile.OpenAiPersonal:
                input = Between(1_000, 25_000);
                cached = rng.NextDouble() < 0.6 ? 0 : Between(1_000, 30_000);
                output = Between(500, 6_000);
                turns = rng.Next(1, 13);
                minutes = rng.Next(1, 31);
                context = new SessionContext(null, null, Pick(["ChatGPT", "OpenAI Playground", "Raycast", "Notion"]));
                if (projects.Length > 0 && rng.NextDouble() < 0.2) projectId = Pick(projects);
                break;
            case Profile.OpenAiSharedJob:
                var embedding = model == "text-embedding-3-large";
                input = embedding ? Between(1_000_000, 8_000_000) : Between(100_000, 2_500_000);
                cached = embedding ? 0 : rng.NextDouble() < 0.5 ? 0 : Between(50_000, 500_000);
                output = embedding ? 0 : Between(5_000, 150_000);
                turns = embedding ? null : rng.Next(1, 4);
                minutes = rng.Next(5, 91);
                var (repo, project) = a.ApiKeyId switch
                {
                    KeySharedData => ("github.com/acme/data-pipelines", "proj-data-platform"),
                    KeySharedMl => ("github.com/acme/ml-recsys", "proj-recsys"),
                    _ => ("github.com/acme/ci-pipelines", "proj-devtools"),
                };
                context = new SessionContext(repo, $"jobs/{Pick(["nightly", "backfill", "eval", "enrich", "classify"])}_{rng.Next(1, 40):D2}.py", null);
                if (rng.NextDouble() < 0.5) projectId = project;
                break;
            case Profile.Image:
                input = Between(30, 400);
                turns = rng.Next(1, 30);
                minutes = rng.Next(1, 25);
                reported = Cents(15, 240);  // fast GPU minutes
                context = new SessionContext(null, null, Pick(["Midjourney Web", "Discord"]));
                if (rng.NextDouble() < 0.3) projectId = projects.Length > 0 ? Pick(projects) : "proj-brand-refresh";
                break;
            case Profile.Video:
                input = Between(30, 300);
                turns = rng.Next(1, 9);
                minutes = rng.Next(3, 40);
                reported = model == "gen-4" ? Cents(120, 960) : Cents(50, 400);  // credits at $0.01
                context = new SessionContext(null, null, "Runway Web");
                if (rng.NextDouble() < 0.35) projectId = "proj-brand-refresh";
                break;
            case Profile.Legal:
                input = Between(10_000, 80_000);
                cached = rng.NextDouble() < 0.4 ? 0 : Between(10_000, 200_000);
                output = Between(2_000, 15_000);
                turns = rng.Next(3, 26);
                minutes = rng.Next(10, 91);
                context = new SessionContext(null, null, model == "harvey-vault" ? "Harvey Vault" : "Harvey Assistant");
                break;
            default:
                throw new InvalidOperationException($"Unknown profile {a.Profile}.");
        }

        var ended = started.AddMinutes(minutes).AddSeconds(rng.Next(60));
        var baseFrustration = FrustrationByModel.GetValueOrDefault(model, 0.2);
        var spike = rng.NextDouble() < 0.05 ? 0.4 : 0;
        var frustration = Math.Round(Math.Clamp(baseFrustration + (rng.NextDouble() - 0.5) * 0.3 + spike, 0, 1), 2);

        var config = providers[a.ProviderId];
        var cost = Pricing.Price(config.Plan, config.Prices, model, day, input, output, cached, reported)
                   ?? throw new InvalidOperationException($"No price for {a.ProviderId}/{model} on {day}.");
        priced.Add(new Priced(a.ProviderId, p.Id, a.ApiKeyId, day, cost.CostUsd, cost.MarketCostUsd));

        return new SessionRequest(
            Id: $"s-{seq:D6}",
            Subject: a.Style == SubjectStyle.Email ? p.Email : p.Id,
            ProviderId: a.ProviderId,
            Model: model,
            StartedAt: started,
            EndedAt: ended,
            InputTokens: input,
            OutputTokens: output,
            CachedInputTokens: cached,
            Turns: turns,
            CostUsd: reported,
            ApiKeyId: a.ApiKeyId,
            ProjectId: projectId,
            Context: context,
            Frustration: frustration,
            FieldErrors: []);
    }

    private (SessionContext, string?) CodeContext(string[] projects, string app)
    {
        var r = rng.NextDouble();
        string? repo;
        string? projectId = null;
        if (projects.Length == 0 || r < 0.1) repo = Pick(StrayRepos);
        else
        {
            var project = Pick(projects);
            repo = Pick(ProjectSpecs.First(p => p.Id == project).Repos);
            if (rng.NextDouble() < 0.25) projectId = project;  // tagged by hand in "My AI Usage"
        }
        var path = $"{Pick(CodePaths)}/{Pick(CodeFiles)}";
        return (new SessionContext(repo, path, app), projectId);
    }

    private string PickModel(Profile profile, DateOnly day)
    {
        var composer = day >= ComposerLaunch;
        var opus = day >= Opus45Launch ? "claude-opus-4-5" : "claude-opus-4-1";
        return profile switch
        {
            Profile.Chat => Weighted(("claude-sonnet-4-5", 60), ("claude-haiku-4-5", 25), (opus, 15)),
            Profile.ClaudeCode => Weighted(("claude-sonnet-4-5", 75), (opus, day >= Opus45Launch ? 20 : 6), ("claude-haiku-4-5", 8)),
            Profile.CursorLight => Weighted(("auto", 50), (composer ? "composer-1" : "auto", 30), ("claude-4.5-sonnet", 10), ("gpt-5", 10)),
            Profile.CursorHeavy => Weighted(("claude-4.5-sonnet", 60), ("gpt-5", 20), (composer ? "composer-1" : "claude-4.5-sonnet", 20)),
            Profile.Copilot => Weighted(("gpt-4.1", 45), ("claude-sonnet-4.5", 30), ("gpt-5-mini", 20), ("gemini-2.5-pro", 5)),
            Profile.GeminiCli => Weighted(("gemini-2.5-pro", 70), ("gemini-2.5-flash", 30)),
            Profile.OpenAiPersonal => Weighted(("gpt-5", 45), ("gpt-5-mini", 40), ("o3", 15)),
            Profile.OpenAiSharedJob => Weighted(("gpt-5-mini", 55), ("text-embedding-3-large", 25), ("gpt-5", 15), ("o3", 5)),
            Profile.Image => Weighted(("midjourney-v7", 80), ("niji-6", 20)),
            Profile.Video => Weighted(("gen-4-turbo", 60), ("gen-4", 40)),
            Profile.Legal => Weighted(("harvey-assistant", 75), ("harvey-vault", 25)),
            _ => throw new InvalidOperationException($"Unknown profile {profile}."),
        };
    }

    // ───────────────────────────── billing ─────────────────────────────

    private sealed class Pull(string providerId, string prefix)
    {
        public string ProviderId { get; } = providerId;
        public string Prefix { get; } = prefix;
        public List<BillingRowRequest> Rows { get; } = [];
        private readonly HashSet<string> ids = new(StringComparer.Ordinal);

        public void Add(string idTail, string? subject, string? account, DateOnly day, decimal total, decimal? list,
                        BillingRowKind kind, string description)
        {
            var id = $"{Prefix}-{idTail}";
            for (var n = 2; !ids.Add(id); n++) id = $"{Prefix}-{idTail}-{n}";
            Rows.Add(new BillingRowRequest(id, subject, account, day, total, list, kind, description, []));
        }
    }

    private IReadOnlyList<(string ProviderId, IReadOnlyList<BillingRowRequest> Rows)> BuildBilling()
    {
        // Observed (org-rate) and market cost per provider / person / day, and per provider / key / day.
        var byPerson = new Dictionary<(string Provider, string Person, DateOnly Day), (decimal Cost, decimal Market)>();
        var byKey = new Dictionary<(string Provider, string Key, DateOnly Day), decimal>();
        foreach (var s in priced)
        {
            var k = (s.ProviderId, s.PersonId, s.Day);
            var (c, m) = byPerson.GetValueOrDefault(k);
            byPerson[k] = (c + s.Cost, m + s.Market);
            if (s.ApiKeyId is { } key) byKey[(s.ProviderId, key, s.Day)] = byKey.GetValueOrDefault((s.ProviderId, key, s.Day)) + s.Cost;
        }
        bool Used(string provider, DemoPerson p, DateOnly day) => byPerson.ContainsKey((provider, p.Id, day));
        static bool Seated(DemoPerson p, DateOnly month) => p.ActiveFrom <= month.AddMonths(1).AddDays(-1);
        var days = Enumerable.Range(0, billEnd.DayNumber - start.DayNumber + 1).Select(start.AddDays).ToList();
        // Every month the data touches is billed for its seats, the first (partial) one too: an active
        // seat is observed at its fee, so a month without its seat bills would show them as unbilled usage.
        var seatMonths = Enumerable.Range(0, 4).Select(i => new DateOnly(start.Year, start.Month, 1).AddMonths(i))
            .Where(m => m <= today).ToList();

        var pulls = new List<Pull>();
        Pull NewPull(string provider, string prefix) { var pull = new Pull(provider, prefix); pulls.Add(pull); return pull; }

        // ── Anthropic: per person per day (Claude Enterprise user cost report), email subjects.
        var anthropic = NewPull(Anthropic, "ant");
        foreach (var p in people.Where(p => p.Has(Anthropic)))
        {
            if (p.Telemetry)
            {
                foreach (var day in days)
                    if (byPerson.TryGetValue((Anthropic, p.Id, day), out var o))
                        BillDay(anthropic, p, day, o.Cost, o.Market, lagRate: 0.06, subjectAsIdRate: 0.1, d => Used(Anthropic, p, d));
            }
            else
            {
                // Used via the web app, but the agent never reported anything: billed, not observed.
                foreach (var day in days.Where(d => d >= p.ActiveFrom && d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && rng.NextDouble() < 0.12))
                    anthropic.Add($"{day:yyyy-MM-dd}-{p.Id}", Subject(p, 0.1), null, day, Cents(20, 450), null, BillingRowKind.Usage,
                        "Claude usage (web)");
            }
        }
        var creditDay = start.AddDays(47);
        anthropic.Add($"{creditDay:yyyy-MM-dd}-credit", null, "org", creditDay, -250.00m, null, BillingRowKind.Credit,
            "Service credit: API incident (elevated error rates)");

        // ── OpenAI: personal API keys billed per person-day; shared keys billed per key-day (Account only).
        var openai = NewPull(OpenAi, "oai");
        foreach (var p in people.Where(p => p.Access.Any(a => a.ProviderId == OpenAi && a.Profile == Profile.OpenAiPersonal) && p.Telemetry))
            foreach (var day in days)
                if (byPerson.TryGetValue((OpenAi, p.Id, day), out var o))
                    BillDay(openai, p, day, o.Cost, o.Market, lagRate: 0.05, subjectAsIdRate: 0.2, d => Used(OpenAi, p, d), listCost: false);
        foreach (var key in new[] { KeySharedData, KeySharedMl, KeyCiEvals })
            foreach (var day in days)
            {
                if (!byKey.TryGetValue((OpenAi, key, day), out var total)) continue;
                var r = rng.NextDouble();
                var billed = r < 0.55 ? total                                 // exact: key's day total
                           : r < 0.9 ? Math.Round(total, 2, MidpointRounding.AwayFromZero)
                           : r < 0.96 ? Scale(total, 0.02, 0.07)                // near: still a suggestion
                           : Scale(total, 0.25, 0.6);                          // way off
                openai.Add($"{day:yyyy-MM-dd}-{key}", null, key, day, Math.Max(0m, billed), null, BillingRowKind.Usage,
                    $"API usage, shared key {key}");
            }
        // A personal key leaked into a CI job nobody's agent watches: billed on days with no sessions.
        var leaky = people.FirstOrDefault(p => p.Telemetry && p.Access.Any(a => a.ProviderId == OpenAi && a.Profile == Profile.OpenAiPersonal));
        if (leaky is not null)
            foreach (var day in days.Where(d => !Used(OpenAi, leaky, d) && rng.NextDouble() < 0.08))
                openai.Add($"{day:yyyy-MM-dd}-{leaky.Id}", leaky.Email, null, day, Cents(150, 900), null, BillingRowKind.Usage, "API usage");

        // ── Cursor: seats monthly; on-demand usage per person-day once the included $20 is used up.
        var cursor = NewPull(Cursor, "cur");
        var cursorPlan = providers[Cursor].Plan;
        var cursorSeats = people.Where(p => p.Has(Cursor)).ToList();
        var cursorTrials = Shuffled(people.Where(p => !p.Has(Cursor) && p.Role is Role.Engineer or Role.ProductManager or Role.Designer)).Take(5).ToList();
        foreach (var month in seatMonths)
        {
            foreach (var p in cursorSeats.Where(p => Seated(p, month)))
                cursor.Add($"seat-{month:yyyy-MM}-{p.Id}", Subject(p, 0), null, month, cursorPlan.SeatFeeUsd, cursorPlan.SeatFeeUsd,
                    BillingRowKind.Seat, "Cursor Business seat");
            foreach (var p in cursorTrials.Where(_ => rng.NextDouble() < 0.6))
                cursor.Add($"seat-{month:yyyy-MM}-{p.Id}", Subject(p, 0), null, month, cursorPlan.SeatFeeUsd, cursorPlan.SeatFeeUsd,
                    BillingRowKind.Seat, "Cursor Business seat (trial)");
        }
        foreach (var p in cursorSeats.Where(p => p.Telemetry))
            BillOverage(cursor, p, Cursor, cursorPlan.IncludedUsageUsd, days, byPerson, d => Used(Cursor, p, d), "On-demand usage");
        var prorated = seatMonths.Count > 1 ? seatMonths[1].AddDays(11) : start.AddDays(11);
        cursor.Add($"{prorated:yyyy-MM-dd}-proration", null, "team", prorated, 25.81m, null, BillingRowKind.Adjustment,
            "Mid-cycle seat proration (3 seats added)");

        // ── Copilot: seats (GitHub logins mapped to employee ids upstream, so one login per person: a person
        // named two ways would be two seat assignments, each billed every month), and premium requests beyond the included $10.
        var copilot = NewPull(Copilot, "gh");
        var copilotPlan = providers[Copilot].Plan;
        foreach (var month in seatMonths)
            foreach (var p in people.Where(p => p.Has(Copilot) && Seated(p, month)))
                copilot.Add($"seat-{month:yyyy-MM}-{p.Id}", p.Id, null, month, copilotPlan.SeatFeeUsd, copilotPlan.SeatFeeUsd,
                    BillingRowKind.Seat, "Copilot Enterprise seat");
        foreach (var p in people.Where(p => p.Has(Copilot) && p.Telemetry))
            BillOverage(copilot, p, Copilot, copilotPlan.IncludedUsageUsd, days, byPerson, d => Used(Copilot, p, d), "Premium requests");

        // ── Midjourney: seats monthly plus fast GPU time per person-day.
        var mj = NewPull(Midjourney, "mj");
        var mjPlan = providers[Midjourney].Plan;
        foreach (var month in seatMonths)
            foreach (var p in people.Where(p => p.Has(Midjourney) && Seated(p, month)))
                mj.Add($"seat-{month:yyyy-MM}-{p.Id}", Subject(p, 0), null, month, mjPlan.SeatFeeUsd, mjPlan.SeatFeeUsd,
                    BillingRowKind.Seat, "Standard plan seat");
        foreach (var p in people.Where(p => p.Has(Midjourney) && p.Telemetry))
            foreach (var day in days)
                if (byPerson.TryGetValue((Midjourney, p.Id, day), out var o))
                    BillDay(mj, p, day, o.Cost, o.Market, lagRate: 0.05, subjectAsIdRate: 0, d => Used(Midjourney, p, d), listCost: false,
                        description: "Fast GPU time");

        // ── Runway: credits per person-day; renders finish (and are booked) the next UTC day often.
        var runway = NewPull(Runway, "rwy");
        foreach (var p in people.Where(p => p.Has(Runway) && p.Telemetry))
            foreach (var day in days)
                if (byPerson.TryGetValue((Runway, p.Id, day), out var o))
                    BillDay(runway, p, day, o.Cost, o.Market, lagRate: 0.35, subjectAsIdRate: 0, d => Used(Runway, p, d),
                        description: "Generation credits");

        // ── Harvey: seats by employee id; two finance people on a trial who never used it.
        var harvey = NewPull(Harvey, "hvy");
        var harveyPlan = providers[Harvey].Plan;
        var harveyTrials = people.Where(p => p.Role == Role.Finance).Take(2).ToList();
        foreach (var month in seatMonths)
        {
            foreach (var p in people.Where(p => p.Has(Harvey) && Seated(p, month)))
                harvey.Add($"seat-{month:yyyy-MM}-{p.Id}", p.Id, null, month, harveyPlan.SeatFeeUsd, harveyPlan.SeatFeeUsd,
                    BillingRowKind.Seat, "Harvey seat");
            if (month != seatMonths[0])
                foreach (var p in harveyTrials)
                    harvey.Add($"seat-{month:yyyy-MM}-{p.Id}", p.Id, null, month, harveyPlan.SeatFeeUsd, harveyPlan.SeatFeeUsd,
                        BillingRowKind.Seat, "Harvey seat (trial)");
        }

        // ── Gong: no telemetry at all, so nothing here can match: seats and the retainer drawdown.
        var gong = NewPull(Gong, "gong");
        var gongPlan = providers[Gong].Plan;
        foreach (var month in seatMonths)
        {
            foreach (var p in people.Where(p => p.Has(Gong) && Seated(p, month)))
                gong.Add($"seat-{month:yyyy-MM}-{p.Id}", Subject(p, 0), null, month, gongPlan.SeatFeeUsd, null,
                    BillingRowKind.Seat, "Gong Forecast + AI seat");
            gong.Add($"retainer-{month:yyyy-MM}", null, "retainer", month, 2500.00m, null, BillingRowKind.Usage, "Retainer drawdown");
        }

        return pulls.Select(p => (p.ProviderId,
                (IReadOnlyList<BillingRowRequest>)p.Rows.OrderBy(r => r.UsageDate).ThenBy(r => r.ExternalId, StringComparer.Ordinal).ToList()))
            .ToList();
    }

    /// <summary>
    /// Bills a seat plan's usage beyond the included amount per person-day, as the provider does: the
    /// month's allowance is consumed day by day, and a day is billed for what it used beyond it (the
    /// day that crosses the allowance for its part beyond it).
    /// </summary>
    private void BillOverage(Pull pull, DemoPerson p, string provider, decimal included, IReadOnlyList<DateOnly> days,
        IReadOnlyDictionary<(string, string, DateOnly), (decimal Cost, decimal Market)> byPerson, Func<DateOnly, bool> usedOn, string description)
    {
        var spent = 0m;
        var month = (days[0].Year, days[0].Month);
        foreach (var day in days)
        {
            if ((day.Year, day.Month) != month) { month = (day.Year, day.Month); spent = 0m; }
            if (!byPerson.TryGetValue((provider, p.Id, day), out var o)) continue;
            var beyond = spent + o.Cost - Math.Max(included, spent);
            spent += o.Cost;
            if (beyond <= 0) continue;
            BillDay(pull, p, day, beyond, o.Cost == 0 ? beyond : o.Market * beyond / o.Cost, lagRate: 0.05, subjectAsIdRate: 0,
                // A day inside the allowance has nothing billable to lag onto.
                d => usedOn(d), listCost: false, description: description);
        }
    }

    /// <summary>
    /// Bills one person-day of observed usage, bent into one of the bucket scenarios:
    /// exact, rounded to cents, 2–8% off, booked a day late, or way off.
    /// </summary>
    private void BillDay(Pull pull, DemoPerson p, DateOnly day, decimal observed, decimal market, double lagRate,
                         double subjectAsIdRate, Func<DateOnly, bool> usedOn, bool listCost = true, string description = "Usage")
    {
        var r = rng.NextDouble();
        var billedDay = day;
        decimal billed;
        if (r < 0.52) billed = observed;
        else if (r < 0.74) billed = Math.Round(observed, 2, MidpointRounding.AwayFromZero);
        else if (r >= 0.965 && observed >= 0.5m) billed = Scale(observed, 0.3, 0.8);
        else if (r < 0.86 && observed >= 1m) billed = Scale(observed, 0.02, 0.08);
        else if (r < 0.86 + lagRate && day.AddDays(1) <= billEnd && !usedOn(day.AddDays(1)))
        {
            billed = observed;
            billedDay = day.AddDays(1);
            description += " (booked next day)";
        }
        else billed = Math.Round(observed, 2, MidpointRounding.AwayFromZero);

        billed = Math.Max(0m, billed);
        var list = listCost && billed == observed ? market : (decimal?)null;
        pull.Add($"{billedDay:yyyy-MM-dd}-{p.Id}", Subject(p, subjectAsIdRate), null, billedDay, billed, list, BillingRowKind.Usage, description);
    }

    /// <summary>Mostly the email (now and then capitalised as HR writes it), sometimes the employee id.</summary>
    private string Subject(DemoPerson p, double idRate)
    {
        if (rng.NextDouble() < idRate) return p.Id;
        if (rng.NextDouble() < 0.03)
            return string.Join('.', p.Email.Split('@')[0].Split('.').Select(s => char.ToUpperInvariant(s[0]) + s[1..])) + "@" + DemoDataset.EmailDomain;
        return p.Email;
    }

    // ───────────────────────────── helpers ─────────────────────────────

    /// <summary>Observed scaled up or down by a random fraction in [lo, hi), to cents.</summary>
    private decimal Scale(decimal amount, double lo, double hi)
    {
        var basisPoints = rng.Next((int)(lo * 10_000), (int)(hi * 10_000));
        var factor = 1m + (rng.NextDouble() < 0.6 ? 1 : -1) * basisPoints / 10_000m;
        return Math.Round(amount * factor, 2, MidpointRounding.AwayFromZero);
    }

    private decimal Cents(int minCents, int maxCents) => rng.Next(minCents, maxCents + 1) / 100m;

    private long Between(long min, long max) => rng.NextInt64(min, max + 1);

    private T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private string Weighted(params (string Value, int Weight)[] options)
    {
        var roll = rng.Next(options.Sum(o => o.Weight));
        foreach (var (value, weight) in options)
        {
            if (roll < weight) return value;
            roll -= weight;
        }
        return options[^1].Value;
    }

    private List<T> Shuffled<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    private static string Slug(string name) => name.ToLowerInvariant().Replace(' ', '-');
}

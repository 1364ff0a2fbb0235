using Flowstate.Domain;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Usage;

namespace Flowstate.Tests.Unit;

public sealed class MatcherTests
{
    private static readonly DateOnly Day = new(2026, 11, 10);

    private static BillingLine Line(decimal billed, BillingRowKind kind = BillingRowKind.Usage) =>
        new("p", "x", "p:alice", null, Day, billed, null, kind, null, null, null);

    private static MatchEvidence Evidence(params (int Offset, decimal Cost)[] days) =>
        new(days.Select(d => new DayEvidence(Day.AddDays(d.Offset), d.Cost, [$"s{d.Offset}"])).ToList(), days.Length, days.Sum(d => d.Cost));

    private static MatchOutcome Match(decimal billed, MatchEvidence e, bool viaAccount = false) =>
        Matcher.Match(Line(billed), viaAccount, e, MatchTolerance.Default);

    [Theory]
    [InlineData("100.00", "100.00")]
    [InlineData("100.00", "99.00")]    // exactly 1%
    [InlineData("100.00", "101.00")]
    [InlineData("0.50", "0.51")]       // $0.01 floor beats 1% of a small bill
    [InlineData("12.345", "12.35")]    // rounding to cents
    public void SameDay_WithinAutoTolerance_IsAutoMatched(string billed, string observed)
    {
        var outcome = Match(decimal.Parse(billed), Evidence((0, decimal.Parse(observed))));
        Assert.Equal(RowStatus.AutoMatched, outcome.Status);
        Assert.Equal(decimal.Parse(observed), outcome.ObservedUsd);
        Assert.InRange(outcome.Confidence, 0.95, 1.0);
        Assert.Equal(["s0"], outcome.SessionIds);
    }

    [Theory]
    [InlineData("100.00", "98.99")]
    [InlineData("100.00", "90.00")]   // exactly 10%
    [InlineData("100.00", "110.00")]
    public void SameDay_WithinSuggestTolerance_IsSuggested(string billed, string observed) =>
        Assert.Equal(RowStatus.Suggested, Match(decimal.Parse(billed), Evidence((0, decimal.Parse(observed)))).Status);

    [Fact]
    public void SameDay_BeyondSuggestTolerance_WithNoLag_IsUnreconciled()
    {
        var outcome = Match(100m, Evidence((0, 89.99m)));
        Assert.Equal(RowStatus.Unreconciled, outcome.Status);
        Assert.Equal(89.99m, outcome.ObservedUsd);
    }

    [Fact]
    public void NoSessions_IsUnreconciled() =>
        Assert.Equal(RowStatus.Unreconciled, Match(25m, Evidence()).Status);

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void AdjacentDay_BillingLag_IsSuggestedNeverAuto(int offset)
    {
        var outcome = Match(40m, Evidence((offset, 40m)));
        Assert.Equal(RowStatus.Suggested, outcome.Status);
        Assert.Contains("lag", outcome.Reason);
        Assert.Equal(40m, outcome.ObservedUsd);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void AdjacentDay_WithARowOfItsOwn_KeepsItsSessions_SoItIsNoLag(int offset)
    {
        var billedNextDoor = new MatchEvidence([new DayEvidence(Day.AddDays(offset), 40m, ["s"], BilledByAnotherRow: true)], 1, 40m);
        var outcome = Match(40m, billedNextDoor);
        Assert.Equal((RowStatus.Unreconciled, 0m, ResidualCause.Unexplained), (outcome.Status, outcome.ObservedUsd, outcome.Cause));
        Assert.Empty(outcome.SessionIds);
    }

    [Fact]
    public void AnUnbilledDayBetweenTwoRows_IsTheLaterRowsLag_NotTheEarlierRows()
    {
        // The 10th billed way off (4.02 for 2.31 observed); the 11th has no row, the 12th has one (the 11th booked late).
        DayEvidence Eleventh(DateOnly day, bool rowAfter) => new(day, 1.42m, ["s11"], AnotherRowTheDayAfter: rowAfter);
        var earlier = Match(4.02m, new MatchEvidence([new DayEvidence(Day, 2.31m, ["s10"]), Eleventh(Day.AddDays(1), rowAfter: true)], 2, 3.73m));
        Assert.Equal((RowStatus.Unreconciled, 2.31m, ResidualCause.Unexplained), (earlier.Status, earlier.ObservedUsd, earlier.Cause));
        Assert.Equal(["s10"], earlier.SessionIds);
        // Without a row the day after, the same window is the earlier row's billing lag (booked early).
        Assert.Equal((RowStatus.Suggested, 3.73m, ResidualCause.BillingLag), Outcome(Match(4.02m,
            new MatchEvidence([new DayEvidence(Day, 2.31m, ["s10"]), Eleventh(Day.AddDays(1), rowAfter: false)], 2, 3.73m))));
        // The later row takes it (the flag on the day before it is about its own day).
        var later = Matcher.Match(Line(1.42m) with { UsageDate = Day.AddDays(2) }, false,
            new MatchEvidence([Eleventh(Day.AddDays(1), rowAfter: true), new DayEvidence(Day.AddDays(2), 0m, [])], 1, 1.42m), MatchTolerance.Default);
        Assert.Equal((RowStatus.Suggested, 1.42m, ResidualCause.BillingLag), Outcome(later));

        static (RowStatus, decimal, ResidualCause) Outcome(MatchOutcome o) => (o.Status, o.ObservedUsd, o.Cause);
    }

    [Fact]
    public void SameDay_WithASecondRowOnIt_StillMatchesItsDay()
    {
        var twoLines = new MatchEvidence([new DayEvidence(Day, 40m, ["s"], BilledByAnotherRow: true)], 1, 40m);
        Assert.Equal(RowStatus.AutoMatched, Match(40m, twoLines).Status);
    }

    [Fact]
    public void SameDay_WithinSuggestTolerance_IsPriceVariance_ButAnAccountsIsSharedKeys()
    {
        Assert.Equal(ResidualCause.PriceVariance, Match(100m, Evidence((0, 95m))).Cause);
        Assert.Equal(ResidualCause.SharedKeys, Match(100m, Evidence((0, 95m)), viaAccount: true).Cause);
    }

    [Fact]
    public void TwoDaysAway_IsNotALag() =>
        Assert.Equal(RowStatus.Unreconciled, Match(40m, Evidence((2, 40m))).Status);

    [Fact]
    public void AccountRow_ExactMatch_IsOnlySuggested()
    {
        var outcome = Match(70m, Evidence((0, 70m)), viaAccount: true);
        Assert.Equal(RowStatus.Suggested, outcome.Status);
        Assert.True(outcome.Confidence < 0.95);
    }

    [Fact]
    public void Seat_InUse_MatchesTheSeatFee_IdleOrFeelessSeatsDoNot()
    {
        var used = new MatchEvidence([], 3, 52m, SeatFeeUsd: 40m, SeatPlan: true, MonthSessionIds: ["a", "b", "c"]);
        var seat = Matcher.Match(Line(40m, BillingRowKind.Seat), false, used, MatchTolerance.Default);
        Assert.Equal((RowStatus.AutoMatched, 40m, "a,b,c"), (seat.Status, seat.ObservedUsd, string.Join(',', seat.SessionIds)));
        Assert.Contains("3 session(s)", seat.Reason);

        var near = Matcher.Match(Line(42m, BillingRowKind.Seat), false, used, MatchTolerance.Default);
        Assert.Equal((RowStatus.Suggested, 40m), (near.Status, near.ObservedUsd));
        var far = Matcher.Match(Line(60m, BillingRowKind.Seat), false, used, MatchTolerance.Default);
        Assert.Equal((RowStatus.Unreconciled, 40m, 3), (far.Status, far.ObservedUsd, far.SessionIds.Count));

        var idle = Matcher.Match(Line(40m, BillingRowKind.Seat), false, new MatchEvidence([], 0, 0m, 0m, true, []), MatchTolerance.Default);
        Assert.Equal((RowStatus.Unreconciled, 0m, 0), (idle.Status, idle.ObservedUsd, idle.SessionIds.Count));
        var feeless = Matcher.Match(Line(40m, BillingRowKind.Seat), false, new MatchEvidence([], 3, 12m), MatchTolerance.Default);
        Assert.Equal((RowStatus.Unreconciled, 0m, 0), (feeless.Status, feeless.ObservedUsd, feeless.SessionIds.Count));
        Assert.Contains("no seat fee", feeless.Reason);
    }

    [Fact]
    public void Credit_IsLeftForFinance() =>
        Assert.Equal(RowStatus.Unreconciled, Matcher.Match(Line(-10m, BillingRowKind.Credit), false, Evidence((0, 10m)), MatchTolerance.Default).Status);

    [Fact]
    public void ProviderTolerances_AreHonoured()
    {
        var strict = new MatchTolerance(0m, 0.02m);
        Assert.Equal(RowStatus.Suggested, Matcher.Match(Line(100m), false, Evidence((0, 98.5m)), strict).Status);
        Assert.Equal(RowStatus.Unreconciled, Matcher.Match(Line(100m), false, Evidence((0, 97m)), strict).Status);
    }
}

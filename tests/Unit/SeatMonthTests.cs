using Flowstate.Domain;
using Flowstate.Usage;

namespace Flowstate.Tests.Unit;

/// <summary>The seat-month arithmetic of DESIGN §12: what of a person's month on a seat plan is observed money.</summary>
public sealed class SeatMonthTests
{
    private static SessionFact S(string id, int day, decimal cost, decimal? market = null) =>
        new(id, new DateTimeOffset(2026, 11, day, 9, 0, 0, TimeSpan.Zero), cost, market ?? cost);

    [Fact]
    public void ActiveSeat_IsObservedAtItsFee_PlusUsageBeyondTheIncludedAmount()
    {
        // $20 included: s1 (8) and s2 (9) are inside the seat, s3 (10) crosses it by 7, s4 (5) is all beyond.
        var month = SeatMonth.Of([S("s3", 12, 10m), S("s1", 2, 8m), S("s4", 20, 5m), S("s2", 5, 9m)], seatFeeUsd: 40m, includedUsd: 20m);
        Assert.True(month.SeatPlan && month.Active);
        Assert.Equal((40m, 20m, 12m, 52m), (month.ObservedSeatFeeUsd, month.IncludedUsedUsd, month.OverageUsd, month.ObservedUsd));
        Assert.Equal((0m, 0m, 7m, 5m), (month.ObservedBySession["s1"], month.ObservedBySession["s2"], month.ObservedBySession["s3"], month.ObservedBySession["s4"]));
    }

    [Fact]
    public void UsageInsideTheSeat_IsNotObservedMoney()
    {
        var month = SeatMonth.Of([S("a", 1, 3.25m, 4m), S("b", 2, 6.75m, 8m)], seatFeeUsd: 19m, includedUsd: 20m);
        Assert.Equal((19m, 10m, 0m, 19m), (month.ObservedSeatFeeUsd, month.IncludedUsedUsd, month.OverageUsd, month.ObservedUsd));
        Assert.All(month.ObservedBySession.Values, v => Assert.Equal(0m, v));
    }

    [Fact]
    public void IdleSeat_ObservesNothing()
    {
        var month = SeatMonth.Of([], seatFeeUsd: 39m, includedUsd: 0m);
        Assert.Equal((true, false, 0m), (month.SeatPlan, month.Active, month.ObservedUsd));
    }

    [Fact]
    public void NoSeatIncluded_EverySessionIsBeyondIt()
    {
        var month = SeatMonth.Of([S("a", 1, 1.5m), S("b", 1, 2.5m)], seatFeeUsd: 39m, includedUsd: 0m);
        Assert.Equal((39m, 4m, 43m), (month.ObservedSeatFeeUsd, month.OverageUsd, month.ObservedUsd));
    }

    [Fact]
    public void WithoutASeatFee_ObservedIsTheSessionsCost_WhateverIsIncluded()
    {
        var month = SeatMonth.Of([S("a", 1, 12m), S("b", 3, 8m)], seatFeeUsd: 0m, includedUsd: 15m);
        Assert.Equal((false, 0m, 20m), (month.SeatPlan, month.ObservedSeatFeeUsd, month.ObservedUsd));
        Assert.Equal((12m, 8m), (month.ObservedBySession["a"], month.ObservedBySession["b"]));
    }

    [Fact]
    public void Allowance_IsConsumedInStartOrder_TiesById()
    {
        var tie = new DateTimeOffset(2026, 11, 4, 9, 0, 0, TimeSpan.Zero);
        var month = SeatMonth.Of([new SessionFact("z", tie, 6m, 6m), new SessionFact("m", tie, 6m, 6m)], seatFeeUsd: 10m, includedUsd: 8m);
        Assert.Equal((0m, 4m), (month.ObservedBySession["m"], month.ObservedBySession["z"]));
        Assert.Equal(month.ObservedUsd, month.ObservedSeatFeeUsd + month.ObservedBySession.Values.Sum());
    }
}

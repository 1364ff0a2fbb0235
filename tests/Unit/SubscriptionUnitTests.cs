using Flowstate.GraphQL.Subscriptions;

namespace Flowstate.Tests.Unit;

public sealed class SubscriptionUnitTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(9_007_199_254_740_993L)]
    public void RowCursor_RoundTrips(long seq) => Assert.Equal(seq, RowCursor.Decode(RowCursor.Encode(seq)));

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("cm93LWV2ZW50Ong=")]        // "row-event:x"
    [InlineData("cm93LWV2ZW50Oi0x")]        // "row-event:-1"
    [InlineData("MjAyNi0xMS0wM3xhL2I=")]    // an inbox cursor: "2026-11-03|a/b"
    public void RowCursor_RejectsWhatItDidNotIssue(string cursor) =>
        Assert.Equal(ErrorCodes.InvalidInput, Assert.Throws<FlowstateException>(() => RowCursor.Decode(cursor)).Code);
}

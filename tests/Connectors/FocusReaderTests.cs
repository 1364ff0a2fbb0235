using System.Globalization;
using Flowstate.Connectors;
using Flowstate.Connectors.Focus;

namespace Flowstate.Tests.Connectors;

/// <summary>The FOCUS reader on the FinOps Foundation sample and the spec's SaaS examples (fixtures copied under CC BY 4.0).</summary>
public sealed class FocusReaderTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "providers", name));

    [Fact]
    public void FinOpsSample_RowsAddUpToEveryBilledCost_PerDayAccountAndKind()
    {
        var csv = Fixture("focus_1.0_sample_finops_foundation.csv");
        var rows = FocusReader.Read(csv);

        // An independent sum of the file: the BilledCost column of each line (the sample writes no quoted commas in it).
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var billed = lines.Sum(l => decimal.Parse(l.Split(',')[1], NumberStyles.Float, CultureInfo.InvariantCulture));
        Assert.Equal(1000, lines.Count);
        Assert.Equal(billed, rows.Sum(r => r.AmountUsd));
        Assert.Equal(rows.Count, rows.Select(r => r.ExternalId).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(2024, r.UsageDate.Year));          // "2024-09-18 22:00:00": no zone, read as UTC
        Assert.Contains(rows, r => r.Account == "51738928782");               // SubAccountId is the account
        Assert.Equal(1000, rows.Sum(r => int.Parse(r.Description.Split(' ')[1], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void SaasExamples_CurrencyFormattedAmounts_MDYYDates_AndBom()
    {
        var simple = FocusReader.Read(Fixture("focus_spec_saas_examples/simple_saas_agreements_c.csv"));
        Assert.Equal([(new DateOnly(2025, 4, 1), 10100.00m), (new DateOnly(2025, 5, 1), 13000.00m), (new DateOnly(2025, 6, 1), 12700.00m)], simple.Select(r => (r.UsageDate, r.AmountUsd)));
        Assert.All(simple, r => Assert.Equal(PulledKind.Usage, r.Kind));

        var purchase = Assert.Single(FocusReader.Read(Fixture("focus_spec_saas_examples/simple_saas_agreements_a1.csv")));
        Assert.Equal(PulledKind.Seat, purchase.Kind);                         // Purchase: a fixed fee
        Assert.Equal(10000.00m, purchase.AmountUsd);

        var tokens = FocusReader.Read(Fixture("focus_spec_saas_examples/virtual_currency_pricing_model_c.csv"));   // starts with a BOM
        Assert.Equal(53000.00m, tokens.Sum(r => r.AmountUsd));
        Assert.Equal([new DateOnly(2025, 4, 1), new DateOnly(2025, 10, 1)], tokens.Select(r => r.UsageDate).Order());

        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "providers", "focus_spec_saas_examples")))
            Assert.NotEmpty(FocusReader.Read(File.ReadAllText(file)));       // every example reads
    }

    [Fact]
    public void TagsNameTheAccountAndPerson_WhenThereIsNoSubAccount()
    {
        var rows = FocusReader.Read("""
            BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart,SubAccountId,Tags,ListCost
            1.10,USD,Usage,2026-11-02T00:00:00Z,NULL,"{""acme:project"":""web"",""user"":""alice@acme.example""}",1.2
            2.205,USD,Usage,2026-11-02T05:00:00Z,NULL,"{""acme:project"":""web"",""user"":""alice@acme.example""}",NULL
            -0.5,USD,Credit,2026-11-02,NULL,NULL,NULL
            0.33,USD,Tax,11/2/26,acct-9,NULL,NULL
            """);
        Assert.Equal(3, rows.Count);
        var web = rows.Single(r => r.Account == "web");
        Assert.Equal((3.305m, 1.2m, "alice@acme.example"), (web.AmountUsd, web.ListAmountUsd, web.Subject));
        Assert.Equal((-0.5m, PulledKind.Credit), (rows.Single(r => r.Kind == PulledKind.Credit).AmountUsd, PulledKind.Credit));
        Assert.Equal(0.33m, rows.Single(r => r.Kind == PulledKind.Adjustment && r.Account == "acct-9").AmountUsd);
    }

    [Theory]
    [InlineData("BilledCost,BillingCurrency,ChargeCategory\n1,USD,Usage", "FOCUS line 1 column ChargePeriodStart: required FOCUS column missing from the header")]
    [InlineData("BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart\n1,USD,Usage,2026-11-02\nabc,USD,Usage,2026-11-02", "FOCUS line 3 column BilledCost: expected a number, got \"abc\"")]
    [InlineData("BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart\nNULL,USD,Usage,2026-11-02", "FOCUS line 2 column BilledCost: required, got NULL")]
    [InlineData("BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart\n1,EUR,Usage,2026-11-02", "FOCUS line 2 column BillingCurrency: currency EUR is not USD and no rate to USD is configured")]
    [InlineData("BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart\n1,USD,Refund,2026-11-02", "FOCUS line 2 column ChargeCategory: expected Usage, Purchase, Tax, Credit or Adjustment, got \"Refund\"")]
    [InlineData("BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart\n1,USD,Usage,yesterday", "FOCUS line 2 column ChargePeriodStart: expected a date or datetime (e.g. 2024-09-18 22:00:00, 2024-09-18T22:00:00Z or 9/18/24), got \"yesterday\"")]
    public void BadFile_FailsNamingLineAndColumn(string csv, string message) =>
        Assert.Equal(message, Assert.Throws<FocusFormatException>(() => FocusReader.Read(csv)).Message);
}

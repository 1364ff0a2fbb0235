using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Options;

/// <summary>Validates options by their own list of problems (each naming its setting): any problem fails the host at start.</summary>
internal sealed class ProblemsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? name, T options) =>
        problems(options).ToList() is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
}

using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// The Data Protection key ring in PostgreSQL (<c>flowstate_data_protection_keys</c>), so every silo
/// uses the same keys. Keys are only ever added; the framework rotates by adding new ones.
/// </summary>
public sealed class DataProtectionKeyStore(NpgsqlDataSource db) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var cmd = db.CreateCommand("select xml from flowstate_data_protection_keys order by created_at, friendly_name");
        using var reader = cmd.ExecuteReader();
        var keys = new List<XElement>();
        while (reader.Read()) keys.Add(XElement.Parse(reader.GetString(0)));
        return keys;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var cmd = db.CreateCommand("insert into flowstate_data_protection_keys (friendly_name, xml) values (@name, @xml) on conflict (friendly_name) do nothing");
        cmd.Parameters.AddWithValue("name", friendlyName);
        cmd.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }
}

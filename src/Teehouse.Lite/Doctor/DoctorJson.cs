using System.Text.Json.Serialization;

namespace Teehouse.Lite.Doctor;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(DoctorDocument))]
public partial class DoctorJson : JsonSerializerContext;

using System.Text.Json.Serialization;

namespace Teehouse.Lite.Catalog;

/// <summary>The Catalog types that cross the HTTP boundary: snake_case, nulls written (as Cvms/CvmsJson.cs).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(InstanceTypeFamilies))]
[JsonSerializable(typeof(FamilyInstanceTypes))]
[JsonSerializable(typeof(OsImagePage))]
[JsonSerializable(typeof(ImageMeasurementResponse))]
[JsonSerializable(typeof(WorkspaceList))]
[JsonSerializable(typeof(WorkspaceResponse))]
[JsonSerializable(typeof(WorkspaceQuotas))]
[JsonSerializable(typeof(WorkspaceNodes))]
public partial class CatalogJson : JsonSerializerContext;

"""What a delivery is made of: licences and the SBOM."""

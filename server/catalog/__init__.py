"""The service catalog: regions (kabupaten/kota), their agencies and their standar pelayanan."""

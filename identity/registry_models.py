"""The local stand-in for the national population register (Dukcapil's data of residents).

`LocalRegistry` (identity/registry.py) answers from this table in development, demos and tests,
so every flow that needs "NIK + data match" works on one machine without a partner agreement.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class Resident(SQLModel, table=True):
    """One person as the population register knows them: a row of a Kartu Keluarga (KK).

    This table holds SYNTHETIC people only (identity/synthetic.py): made-up names, with NIK and
    KK numbers built to the official layout from real area codes. It stands in for the national
    register, so, unlike the rest of the schema, the NIK is a plain primary key here and not an
    encrypted value; never load real residents' data into it. In production the register is
    Dukcapil's service behind a `PopulationRegistry` adapter and this table stays empty.

    Text is upper case, as printed on the KTP and KK. Codes are dotted Kemendagri codes.
    """

    nik: str = Field(primary_key=True, max_length=16)
    kk_number: str = Field(index=True, max_length=16)
    full_name: str = Field(max_length=200)
    sex: str = Field(max_length=1)  # "L" laki-laki | "P" perempuan
    birth_place: str = Field(max_length=100)
    birth_date: date
    relationship: str = Field(max_length=30)  # hubungan dalam keluarga: KEPALA KELUARGA, ISTRI, ANAK, ...
    religion: str = Field(max_length=40)
    marital_status: str = Field(max_length=20)  # BELUM KAWIN, KAWIN, CERAI HIDUP, CERAI MATI
    occupation: str = Field(max_length=60)
    street: str = Field(max_length=200)
    rt: str = Field(max_length=3)  # rukun tetangga, zero-padded as on the KTP: "004"
    rw: str = Field(max_length=3)  # rukun warga
    village: str = Field(max_length=100)  # kelurahan / desa
    district_code: str = Field(max_length=8)  # kecamatan, "21.71.01"
    regency_code: str = Field(index=True, max_length=5)  # kabupaten/kota, "21.71"

-- Dagster keeps its runs, events and schedules in their own database beside the warehouse.
CREATE DATABASE dagster OWNER shopease;
\connect shopease
CREATE SCHEMA IF NOT EXISTS raw AUTHORIZATION shopease;
CREATE SCHEMA IF NOT EXISTS staging AUTHORIZATION shopease;
CREATE SCHEMA IF NOT EXISTS analytics AUTHORIZATION shopease;

"""Opportunities: conversion from a qualified lead, the board, stage moves with won/lost."""
